import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE, type NewSession } from './auth.service.js';
import { CSRF_COOKIE } from './csrf.js';

/** What the auth hook learned about the request's session (set only when a valid session cookie came along). */
export interface RequestSession {
  /** SHA-256 of the cookie token: the row id and the CSRF binding. */
  readonly id: string;
  readonly token: string;
  readonly signedIn: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    authSession?: RequestSession;
    /** The request authenticated with a Bearer token (no cookies, so no CSRF). */
    viaBearer?: boolean;
  }
}

/** Secure in production (behind TLS) and whenever the request itself arrived over https. */
function secure(request: FastifyRequest, production: boolean): boolean {
  return production || request.protocol === 'https';
}

/** `sessionid`: signed, HttpOnly, SameSite=Lax (the OpenID callback is a cross-site top-level GET). */
export function setSessionCookies(request: FastifyRequest, reply: FastifyReply, session: NewSession, production: boolean): void {
  reply.setCookie(SESSION_COOKIE, session.token, { path: '/', httpOnly: true, secure: secure(request, production), sameSite: 'lax', signed: true, maxAge: session.maxAgeSeconds });
  setCsrfCookie(request, reply, session.csrfToken, production);
}

/** `csrftoken`: readable by the web app (it copies it into X-CSRFToken), a year like Django's. */
export function setCsrfCookie(request: FastifyRequest, reply: FastifyReply, token: string, production: boolean): void {
  reply.setCookie(CSRF_COOKIE, token, { path: '/', httpOnly: false, secure: secure(request, production), sameSite: 'lax', maxAge: 365 * 86_400 });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, production: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, secure: secure(request, production), sameSite: 'lax' });
}

/** Browsers get redirects and pages; API clients get JSON. */
export function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return (request.method === 'GET' || request.method === 'HEAD') && accept.includes('text/html');
}

/** A safe `next` target: a path on this site, never another origin (no open redirect). */
export function safeNext(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next === '' || next.length > 2000) return fallback;
  if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\') || [...next].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return fallback;
  return next;
}

/** This site's own origin as the request sees it (scheme from a trusted proxy's X-Forwarded-Proto). */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

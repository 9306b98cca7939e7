import fastifyCookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { App } from '../../http/app.js';
import { CenterAccessDenied, type Actor } from './actor.js';
import { ownOrigin, setCsrfCookie, wantsHtml } from './auth.cookies.js';
import { accessForMethod, isAllowed, RESOURCE_NAME } from './auth.policy.js';
import { SESSION_COOKIE, type AuthService } from './auth.service.js';
import { CSRF_COOKIE, CSRF_FORM_FIELD, CSRF_HEADER, csrfRequestValid, requestOriginTrusted } from './csrf.js';
import { InvalidToken } from './oidc.client.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A public route that still wants the CSRF check for its unsafe methods (sign-in and sign-out forms). */
    csrf?: boolean;
  }
}

export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  /** The declaration as the route ended up with it (read at walk time: plugins may amend it). */
  readonly config: () => { resource?: string; public?: boolean };
}

const routeTables = new WeakMap<object, RouteEntry[]>();

/** Every route registered after `installAuth`, with its access declaration (for the route-table test). */
export function routeTable(app: App): readonly RouteEntry[] {
  return routeTables.get(app) ?? [];
}

/** A route declares exactly one of `resource` (valid name) or `public: true`. */
export function declarationProblem(config: { resource?: unknown; public?: unknown } | undefined): string | undefined {
  const resource = config?.resource;
  const isPublic = config?.public === true;
  if (resource !== undefined && isPublic) return 'declares both resource and public';
  if (resource === undefined && !isPublic) return 'declares neither resource nor public';
  if (resource !== undefined && (typeof resource !== 'string' || !RESOURCE_NAME.test(resource))) return `has an invalid resource name ${JSON.stringify(resource)}`;
  return undefined;
}

export const DENIED = {
  unauthenticated: 'Authentication credentials were not provided.',
  forbidden: 'You do not have permission to perform this action.',
  invalidToken: 'Invalid or expired token.',
  passwordChange: 'Password change required.',
  csrfMissing: 'CSRF Failed: CSRF token missing.',
  csrfIncorrect: 'CSRF Failed: CSRF token incorrect.',
} as const;

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const PREPARE_DEADLINE_MS = 8_000;

export interface InstallAuthOptions {
  /** Runs before the process refuses to start (close the database so the process can exit). */
  readonly onRefuse?: () => Promise<void>;
}

/**
 * The auth layer of the HTTP app: session cookies and Bearer tokens become
 * `request.actor`; every route is checked against its declaration (`public`, or
 * the §11 policy for its `resource`); session-authenticated unsafe requests need
 * the CSRF token; denials are audited. In production a configured OpenID provider
 * must be reachable when the app starts.
 */
export function installAuth(app: App, auth: AuthService, options: InstallAuthOptions = {}): void {
  const table: RouteEntry[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (route: RouteOptions) => {
    const problem = declarationProblem(route.config as { resource?: unknown; public?: unknown } | undefined);
    if (problem?.startsWith('declares both') || problem?.startsWith('has an invalid')) throw new Error(`route ${route.method} ${route.url} ${problem}`);
    for (const method of [route.method].flat()) table.push({ method, url: route.url, config: () => (route.config ?? {}) as { resource?: string; public?: boolean } });
  });

  void app.register(fastifyCookie, { secret: auth.cookieSecret, hook: 'onRequest' });
  // Added after the cookie plugin so that its parser runs first.
  app.after(() => {
    app.addHook('onRequest', (request, reply) => authenticate(auth, request, reply));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    // A signed-in browser always holds a CSRF token bound to its current session.
    const session = request.authSession;
    if (session?.signedIn && !request.viaBearer && !auth.csrfTokenValid(session.id, request.cookies[CSRF_COOKIE]) && !String(reply.getHeader('set-cookie') ?? '').includes(`${CSRF_COOKIE}=`)) {
      setCsrfCookie(request, reply, auth.csrfToken(session.id), auth.production);
    }
    return payload;
  });

  app.addHook('onError', async (request, _reply, error) => {
    if (error instanceof CenterAccessDenied) {
      await auth.recordDenied({ actor: request.actor, method: request.method, route: routePattern(request), resource: request.routeOptions.config.resource, reason: 'center_scope', ip: request.ip, centerId: error.centerId });
    }
  });

  app.addHook('onReady', async () => {
    const undeclared = table.filter((r) => declarationProblem(r.config()) !== undefined);
    for (const r of undeclared) app.log.error({ method: r.method, url: r.url }, 'route declares no access policy; it answers 403 to everyone');
    if (auth.bypassEnabled) app.log.warn('ENFORCE_AUTH=0 in development: every request runs as the development superuser');
    if (auth.ephemeralKey) app.log.warn('no DJANGO_SECRET_KEY: sessions are signed with a per-process key and end when the process restarts');
    try {
      // Below Fastify's 10 s plugin timeout, so the operator reads our reason and not a generic timeout.
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from ${auth.oidc?.discoveryUrl() ?? 'the provider'} within ${PREPARE_DEADLINE_MS / 1000} s`)), PREPARE_DEADLINE_MS);
      });
      await Promise.race([auth.prepare(), deadline]).finally(() => clearTimeout(timer));
    } catch (error) {
      await options.onRefuse?.();
      throw new Error(`refusing to start: the OpenID provider is unreachable or misconfigured: ${(error as Error).message}`, { cause: error });
    }
  });
}

function routePattern(request: FastifyRequest): string {
  return request.routeOptions.url ?? request.url.split('?', 1)[0] ?? '';
}

async function resolveCredentials(auth: AuthService, request: FastifyRequest): Promise<'ok' | 'invalid-token'> {
  const authorization = request.headers.authorization;
  const bearer = authorization === undefined ? undefined : /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization)?.[1];
  if (authorization !== undefined && /^Bearer\s/i.test(authorization)) {
    if (bearer === undefined) return 'invalid-token';
    try {
      request.actor = await auth.actorFromBearer(bearer);
      request.viaBearer = true;
      return 'ok';
    } catch (error) {
      if (error instanceof InvalidToken) {
        request.log.info({ reason: error.reason }, 'Bearer token refused');
        return 'invalid-token';
      }
      throw error;
    }
  }
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return 'ok';
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return 'ok';
  const session = await auth.resolveSession(unsigned.value);
  if (!session) return 'ok';
  request.authSession = { id: session.id, token: unsigned.value, signedIn: session.actor !== undefined };
  request.actor = session.actor;
  return 'ok';
}

function csrfFailure(auth: AuthService, request: FastifyRequest): string | undefined {
  const trusted = auth.csrfTrustedOrigins;
  if (!requestOriginTrusted(ownOrigin(request), trusted, request.headers.origin, request.headers.referer)) {
    return `CSRF Failed: Origin checking failed - ${String(request.headers.origin ?? request.headers.referer).slice(0, 100)} does not match any trusted origins.`;
  }
  const cookie = request.cookies[CSRF_COOKIE];
  const header = request.headers[CSRF_HEADER];
  const submitted = typeof header === 'string' ? header : formField(request);
  if (!cookie || !submitted) return DENIED.csrfMissing;
  const binding = request.authSession?.signedIn ? request.authSession.id : 'anonymous';
  return csrfRequestValid(auth.csrfSecret, binding, cookie, submitted) ? undefined : DENIED.csrfIncorrect;
}

/** The CSRF field of a url-encoded form body (the server-rendered sign-in page posts one). */
function formField(request: FastifyRequest): string | undefined {
  const body = request.body as Record<string, unknown> | undefined;
  const value = body?.[CSRF_FORM_FIELD];
  return typeof value === 'string' ? value : undefined;
}

/**
 * CSRF for public routes that opt in runs in their own preValidation (the form body
 * must be parsed first); for protected routes the header is checked right here.
 */
export function checkCsrf(auth: AuthService, request: FastifyRequest): string | undefined {
  if (!UNSAFE.has(request.method) || request.viaBearer) return undefined;
  return csrfFailure(auth, request);
}

async function deny(auth: AuthService, request: FastifyRequest, reply: FastifyReply, status: 401 | 403, detail: string, reason: string, actor: Actor | undefined): Promise<FastifyReply> {
  await auth.recordDenied({ actor, method: request.method, route: routePattern(request), resource: request.routeOptions.config.resource, reason, ip: request.ip });
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="lx-annotate", error="invalid_token"');
  return reply.code(status).send(reason === 'password_change_required' ? { detail, code: 'password_change_required' } : { detail });
}

async function authenticate(auth: AuthService, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (request.is404) return undefined;
  const config = request.routeOptions.config;
  const credentials = await resolveCredentials(auth, request);
  if (config.public === true && config.resource === undefined) {
    // Public routes never redirect and never fail on credentials: hub transfers authenticate themselves.
    if (credentials === 'invalid-token') request.actor = undefined;
    return undefined;
  }
  const resource = config.resource;
  if (resource === undefined || declarationProblem(config) !== undefined) {
    request.log.error({ url: routePattern(request) }, 'route declares no access policy');
    return deny(auth, request, reply, 403, DENIED.forbidden, 'undeclared_route', request.actor);
  }
  if (credentials === 'invalid-token') return deny(auth, request, reply, 401, DENIED.invalidToken, 'invalid_token', undefined);
  if (!request.actor) {
    if (auth.bypassEnabled) {
      request.actor = await auth.developmentActor();
      return undefined;
    }
    // Anonymous requests without any credential are answered, not audited: they are not an identified access attempt.
    if (wantsHtml(request)) return reply.redirect(auth.loginUrl(request.url), 302);
    return reply.code(403).send({ detail: DENIED.unauthenticated });
  }
  const actor = request.actor;
  if (actor.mustChangePassword) {
    if (wantsHtml(request)) return reply.redirect(`/login/?next=${encodeURIComponent(request.url)}`, 302);
    return deny(auth, request, reply, 403, DENIED.passwordChange, 'password_change_required', actor);
  }
  if (accessForMethod(request.method) === undefined || !(actor.isSuperuser || isAllowed(actor.roles, resource, request.method))) {
    return deny(auth, request, reply, 403, DENIED.forbidden, 'forbidden', actor);
  }
  const csrf = checkCsrf(auth, request);
  if (csrf !== undefined) return deny(auth, request, reply, 403, csrf, 'csrf', actor);
  return undefined;
}


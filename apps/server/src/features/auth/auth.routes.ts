import { AuthBootstrap, AuthError, LoginRequest, LogoutResponse, PasswordChangeRequest, SessionInfo } from '@lx/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { App } from '../../http/app.js';
import { annotatorOf, type Actor } from './actor.js';
import { clearSessionCookie, ownOrigin, safeNext, setCsrfCookie, setSessionCookies, wantsHtml } from './auth.cookies.js';
import { checkCsrf, DENIED } from './auth.hooks.js';
import { registerAuthPages, renderMessagePage } from './auth.pages.js';
import { capabilities } from './auth.policy.js';
import type { AuthService, RequestInfo } from './auth.service.js';
import { OidcUnavailable } from './oidc.client.js';

export const API_PREFIXES = ['/api', '/endoreg-api'] as const;

export function requestInfo(request: FastifyRequest): RequestInfo {
  return { ip: request.ip, userAgent: String(request.headers['user-agent'] ?? '').slice(0, 255) };
}

/** preValidation guard of public routes that opted into CSRF (`config.csrf`). */
export function csrfGuard(auth: AuthService) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const failure = checkCsrf(auth, request);
    if (failure === undefined) return undefined;
    await auth.recordDenied({ actor: request.actor, method: request.method, route: request.routeOptions.url ?? '', resource: undefined, reason: 'csrf', ip: request.ip });
    return reply.code(403).send({ detail: failure });
  };
}

/** Gives the browser a CSRF token for its current session when it has none that fits. */
export function ensureCsrfCookie(auth: AuthService, request: FastifyRequest, reply: FastifyReply): string {
  const binding = request.authSession?.signedIn ? request.authSession.id : 'anonymous';
  const current = request.cookies.csrftoken;
  if (current !== undefined && auth.csrfTokenValid(binding, current)) return current;
  const token = auth.csrfToken(binding);
  setCsrfCookie(request, reply, token, auth.production);
  return token;
}

/** The request's actor, or the development superuser when ENFORCE_AUTH=0 in development. */
async function currentActor(auth: AuthService, request: FastifyRequest): Promise<Actor | undefined> {
  if (request.actor) return request.actor;
  return auth.bypassEnabled ? auth.developmentActor() : undefined;
}

export async function describeSession(auth: AuthService, actor: Actor | undefined): Promise<SessionInfo> {
  const common = {
    loginUrl: auth.loginUrl(),
    logoutUrl: auth.oidc ? '/oidc/logout/' : '/api/auth/logout/',
    authMethods: auth.oidc ? (['oidc', 'local'] as const) : (['local'] as const),
    authEnforced: auth.authEnforced,
    csrfCookieName: 'csrftoken' as const,
    csrfHeaderName: 'X-CSRFToken' as const,
  };
  const user = actor ? await auth.users.findById(actor.userId) : undefined;
  if (!actor || !user) {
    return { authenticated: false, user: null, roles: [], centers: [], allCenters: false, capabilities: capabilities([], false), ...common, authMethods: [...common.authMethods] };
  }
  const centers = actor.centerIds === 'all' ? [] : await auth.users.centersOf(actor.userId);
  return {
    authenticated: true,
    user: {
      id: user.id,
      username: user.username,
      email: user.email,
      displayName: user.displayName,
      sub: user.oidcSubject,
      authSource: user.authSource,
      isSuperuser: user.isSuperuser,
      isStaff: user.isStaff,
      mustChangePassword: actor.mustChangePassword,
      annotator: annotatorOf(actor),
    },
    roles: [...actor.roles],
    centers,
    allCenters: actor.centerIds === 'all',
    capabilities: capabilities(actor.roles, actor.isSuperuser),
    ...common,
    authMethods: [...common.authMethods],
  };
}

/**
 * Sign-in, sign-out and "who am I": the OpenID routes of the original
 * (`/oidc/authenticate/`, `/oidc/callback/`, `/oidc/logout/`), local sign-in, the
 * session description for the web app, the original's `auth/bootstrap`, and the
 * CSRF cookie endpoint `conf/`. All are public: they work for anonymous callers.
 */
export function registerAuthRoutes(app: App, auth: AuthService): void {
  const production = auth.production;
  const guard = csrfGuard(auth);

  for (const prefix of API_PREFIXES) {
    app.get(`${prefix}/auth/session/`, { config: { public: true }, schema: { response: { 200: SessionInfo } } }, async (request, reply) => {
      ensureCsrfCookie(auth, request, reply);
      return describeSession(auth, await currentActor(auth, request));
    });

    for (const path of ['auth/bootstrap', 'auth/bootstrap/', 'auth/context', 'auth/context/']) {
      app.get(`${prefix}/${path}`, { config: { public: true }, schema: { response: { 200: AuthBootstrap, 403: AuthError } } }, async (request, reply) => {
        const actor = await currentActor(auth, request);
        if (!actor) return reply.code(403).send({ detail: DENIED.unauthenticated });
        return { user: { username: actor.username, roles: [...actor.roles], sub: actor.oidcSubject }, roles: [...actor.roles], capabilities: capabilities(actor.roles, actor.isSuperuser) };
      });
    }

    app.get(`${prefix}/conf/`, { config: { public: true }, schema: { response: { 200: z.object({ csrfCookieName: z.string(), csrfHeaderName: z.string() }) } } }, async (request, reply) => {
      ensureCsrfCookie(auth, request, reply);
      return { csrfCookieName: 'csrftoken', csrfHeaderName: 'X-CSRFToken' };
    });

    app.post(
      `${prefix}/auth/login/`,
      { config: { public: true, csrf: true }, preValidation: guard, schema: { body: LoginRequest, response: { 200: SessionInfo, 401: AuthError, 403: AuthError, 429: AuthError } } },
      async (request, reply) => {
        const outcome = await auth.loginLocal(request.body.username, request.body.password, requestInfo(request));
        if (!outcome.ok) {
          if (outcome.retryAfterSeconds !== undefined) reply.header('retry-after', String(outcome.retryAfterSeconds));
          if (outcome.status === 401) reply.header('www-authenticate', 'Session realm="lx-annotate"');
          return reply.code(outcome.status).send({ detail: outcome.message });
        }
        // Rotation: whatever session the browser had before is gone; it gets a new id.
        if (request.authSession) await auth.discard(request.authSession.token);
        setSessionCookies(request, reply, outcome.session, production);
        return describeSession(auth, outcome.actor);
      },
    );

    app.post(`${prefix}/auth/logout/`, { config: { public: true, csrf: true }, preValidation: guard, schema: { response: { 200: LogoutResponse } } }, async (request, reply) => {
      const { endSessionUrl } = await auth.logout(request.authSession?.token, auth.postLogoutRedirectUri(ownOrigin(request)));
      clearSessionCookie(request, reply, production);
      return { detail: 'Abgemeldet.', logoutUrl: endSessionUrl ?? null };
    });

    app.post(
      `${prefix}/auth/password/`,
      { config: { public: true, csrf: true }, preValidation: guard, schema: { body: PasswordChangeRequest, response: { 200: SessionInfo, 400: z.object({ error: z.string() }), 403: AuthError } } },
      async (request, reply) => {
        const actor = request.actor;
        if (!actor || actor.via !== 'session' || !request.authSession) return reply.code(403).send({ detail: DENIED.unauthenticated });
        await auth.users.changeOwnPassword(actor.userId, request.body.currentPassword, request.body.newPassword, request.authSession.id);
        return describeSession(auth, await auth.users.loadActor(actor.userId, 'session'));
      },
    );
  }

  app.get('/oidc/authenticate/', { config: { public: true }, schema: { querystring: z.object({ next: z.string().optional() }) } }, async (request, reply) => {
    const next = safeNext(request.query.next);
    if (!auth.oidc) return reply.redirect(`/login/?next=${encodeURIComponent(next)}`, 302);
    let started;
    try {
      started = await auth.beginOidc(next, ownOrigin(request), requestInfo(request));
    } catch (error) {
      if (!(error instanceof OidcUnavailable)) throw error;
      request.log.warn({ reason: error.message }, 'OpenID sign-in unavailable');
      const message = 'Der Anmeldedienst ist derzeit nicht erreichbar. Bitte später erneut versuchen.';
      return wantsHtml(request) ? reply.code(503).type('text/html; charset=utf-8').send(renderMessagePage('Anmeldung nicht möglich', message, next)) : reply.code(503).send({ error: message });
    }
    if (request.authSession) await auth.discard(request.authSession.token);
    setSessionCookies(request, reply, started.session, production);
    return reply.redirect(started.authorizationUrl, 302);
  });

  app.get('/oidc/callback/', { config: { public: true } }, async (request, reply) => {
    const query = new URLSearchParams(request.url.split('?')[1] ?? '');
    const outcome = await auth.completeOidc(request.authSession?.signedIn === false ? request.authSession.token : undefined, query, requestInfo(request));
    if (!outcome.ok) {
      clearSessionCookie(request, reply, production);
      return reply.code(outcome.status).type('text/html; charset=utf-8').send(renderMessagePage('Anmeldung fehlgeschlagen', outcome.message, '/'));
    }
    setSessionCookies(request, reply, outcome.session, production);
    return reply.redirect(safeNext(outcome.next), 302);
  });

  const logout = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const { endSessionUrl } = await auth.logout(request.authSession?.token, auth.postLogoutRedirectUri(ownOrigin(request)));
    clearSessionCookie(request, reply, production);
    return reply.redirect(endSessionUrl ?? auth.logoutRedirectUrl, 302);
  };
  // GET as in the original (the web app navigates there); POST for forms, with CSRF.
  app.get('/oidc/logout/', { config: { public: true } }, logout);
  app.post('/oidc/logout/', { config: { public: true, csrf: true }, preValidation: guard }, logout);

  registerAuthPages(app, auth, { guard, ensureCsrf: (request, reply) => ensureCsrfCookie(auth, request, reply), requestInfo });
}


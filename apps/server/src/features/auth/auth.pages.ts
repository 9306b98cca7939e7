import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../http/app.js';
import { DomainError } from '../../shared/errors.js';
import { safeNext, setSessionCookies } from './auth.cookies.js';
import type { AuthService } from './auth.service.js';
import { CSRF_FORM_FIELD } from './csrf.js';

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – LX-Annotate</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#222}label{display:block;margin-top:1rem}input{width:100%;padding:.5rem;box-sizing:border-box;font-size:1rem}button{margin-top:1.5rem;padding:.5rem 1.2rem;font-size:1rem}.fehler{color:#a00000}.hinweis{color:#555}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}

/** A short German message page (sign-in failed, provider unreachable) with a way back. */
export function renderMessagePage(title: string, message: string, next: string): string {
  return layout(title, `<p class="fehler" role="alert">${escapeHtml(message)}</p>\n<p><a href="/login/?next=${encodeURIComponent(next)}">Zur Anmeldung</a></p>`);
}

function loginPage(options: { csrf: string; next: string; error?: string; oidc: boolean }): string {
  const error = options.error ? `<p class="fehler" role="alert">${escapeHtml(options.error)}</p>\n` : '';
  const sso = options.oidc ? `<p><a href="/oidc/authenticate/?next=${encodeURIComponent(options.next)}">Mit der zentralen Anmeldung (Single Sign-on) anmelden</a></p>\n<p class="hinweis">Oder mit einem lokalen Konto:</p>\n` : '';
  return layout(
    'Anmeldung',
    `${error}${sso}<form method="post" action="/login/">
<input type="hidden" name="${CSRF_FORM_FIELD}" value="${escapeHtml(options.csrf)}">
<input type="hidden" name="next" value="${escapeHtml(options.next)}">
<label>Benutzername<input name="username" autocomplete="username" required autofocus></label>
<label>Passwort<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Anmelden</button>
</form>`,
  );
}

function passwordPage(options: { csrf: string; next: string; username: string; error?: string }): string {
  const error = options.error ? `<p class="fehler" role="alert">${escapeHtml(options.error)}</p>\n` : '';
  return layout(
    'Neues Passwort festlegen',
    `<p>Angemeldet als <strong>${escapeHtml(options.username)}</strong>. Das bisherige Passwort war ein Einmalpasswort; bitte legen Sie ein eigenes fest (mindestens 12 Zeichen).</p>
${error}<form method="post" action="/login/password/">
<input type="hidden" name="${CSRF_FORM_FIELD}" value="${escapeHtml(options.csrf)}">
<input type="hidden" name="next" value="${escapeHtml(options.next)}">
<label>Bisheriges Passwort<input name="current_password" type="password" autocomplete="current-password" required autofocus></label>
<label>Neues Passwort<input name="new_password" type="password" autocomplete="new-password" required minlength="12"></label>
<label>Neues Passwort wiederholen<input name="new_password_repeat" type="password" autocomplete="new-password" required minlength="12"></label>
<button type="submit">Passwort speichern</button>
</form>`,
  );
}

const LoginForm = z.object({
  username: z.string().max(150).default(''),
  password: z.string().max(1024).default(''),
  next: z.string().max(2000).optional(),
  [CSRF_FORM_FIELD]: z.string().max(200).optional(),
});
const PasswordForm = z.object({
  current_password: z.string().max(1024).default(''),
  new_password: z.string().max(1024).default(''),
  new_password_repeat: z.string().max(1024).default(''),
  next: z.string().max(2000).optional(),
  [CSRF_FORM_FIELD]: z.string().max(200).optional(),
});

const html = (reply: FastifyReply, status: number, body: string): FastifyReply => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);

/**
 * The server's own sign-in page at `/login/` (German, no JavaScript): local accounts,
 * a link to the OpenID sign-in when a provider is configured, and the forced password
 * change of accounts that still have their one-time password. It keeps sign-in usable
 * on a plain install whatever the state of the web app.
 */
export function registerAuthPages(app: App, auth: AuthService, helpers: { guard: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>; ensureCsrf: (request: FastifyRequest, reply: FastifyReply) => string; requestInfo: (request: FastifyRequest) => { ip: string; userAgent: string } }): void {
  void app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    scope.get('/login/', { config: { public: true }, schema: { querystring: z.object({ next: z.string().optional() }) } }, async (request, reply) => {
      const next = safeNext(request.query.next);
      const csrf = helpers.ensureCsrf(request, reply);
      const actor = request.actor;
      if (actor?.mustChangePassword) return html(reply, 200, passwordPage({ csrf, next, username: actor.username }));
      if (actor) return reply.redirect(next, 302);
      return html(reply, 200, loginPage({ csrf, next, oidc: auth.oidc !== undefined }));
    });

    scope.post('/login/', { config: { public: true, csrf: true }, preValidation: helpers.guard, schema: { body: LoginForm } }, async (request, reply) => {
      const next = safeNext(request.body.next);
      const outcome = await auth.loginLocal(request.body.username, request.body.password, helpers.requestInfo(request));
      if (!outcome.ok) {
        if (outcome.retryAfterSeconds !== undefined) reply.header('retry-after', String(outcome.retryAfterSeconds));
        return html(reply, outcome.status, loginPage({ csrf: helpers.ensureCsrf(request, reply), next, error: outcome.message, oidc: auth.oidc !== undefined }));
      }
      if (request.authSession) await auth.discard(request.authSession.token);
      setSessionCookies(request, reply, outcome.session, auth.production);
      return reply.redirect(outcome.actor.mustChangePassword ? `/login/?next=${encodeURIComponent(next)}` : next, 303);
    });

    scope.post('/login/password/', { config: { public: true, csrf: true }, preValidation: helpers.guard, schema: { body: PasswordForm } }, async (request, reply) => {
      const next = safeNext(request.body.next);
      const actor = request.actor;
      if (!actor || actor.via !== 'session' || !request.authSession) return reply.redirect(`/login/?next=${encodeURIComponent(next)}`, 303);
      const again = (error: string): FastifyReply => html(reply, 400, passwordPage({ csrf: helpers.ensureCsrf(request, reply), next, username: actor.username, error }));
      if (request.body.new_password !== request.body.new_password_repeat) return again('Die beiden neuen Passwörter stimmen nicht überein.');
      try {
        await auth.users.changeOwnPassword(actor.userId, request.body.current_password, request.body.new_password, request.authSession.id);
      } catch (error) {
        if (error instanceof DomainError) return again(error.message);
        throw error;
      }
      return reply.redirect(next, 303);
    });
  });
}

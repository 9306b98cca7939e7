import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/http/app.js';
import { actorOf, assertCenterAccess, LOGIN_LIMITS } from '../../src/features/auth/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiApp } from '../../src/main/api.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, productionEnv, tempDataRoot } from '../helpers/env.js';
import { CookieJar } from '../helpers/oidc-provider.js';

const SPA = 'https://spa.example.org';
const STRONG = 'Sommer-Endoskopie-7';

/** The full api app plus a few probe routes that exercise the policy and center isolation. */
async function startApp(env: Record<string, string>): Promise<{ runtime: Runtime; app: App; base: string }> {
  const runtime = compose(configFrom(env), { logger: createLogger({ level: 'silent' }) });
  const app = createApiApp(runtime);
  app.get('/api/probe/video/', { config: { resource: 'video' } }, async (request) => ({ user: actorOf(request).username }));
  app.post('/api/probe/video/', { config: { resource: 'video' } }, async (request) => ({ wrote: actorOf(request).username }));
  app.get('/api/probe/centers/:id/', { config: { resource: 'video' } }, async (request) => {
    assertCenterAccess(actorOf(request), Number((request.params as { id: string }).id));
    return { ok: true };
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { runtime, app, base: address };
}

async function json(response: Response): Promise<Record<string, any>> {
  return (await response.json()) as Record<string, any>;
}

/** GETs the session endpoint so the jar holds a CSRF token, then returns headers for an unsafe request. */
async function csrfHeaders(jar: CookieJar, base: string): Promise<Record<string, string>> {
  const origin = new URL(base).origin;
  if (!jar.get(origin, 'csrftoken')) await (await jar.fetch(`${base}/api/auth/session/`)).body?.cancel();
  return { 'x-csrftoken': jar.get(origin, 'csrftoken') ?? '' };
}

async function login(jar: CookieJar, base: string, username: string, password: string): Promise<Response> {
  return jar.fetch(`${base}/api/auth/login/`, { method: 'POST', headers: { ...(await csrfHeaders(jar, base)), 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
}

async function auditActions(runtime: Runtime): Promise<string[]> {
  return (await runtime.db.selectFrom('audit_ledger').select('action').orderBy('sequence').execute()).map((r) => r.action);
}

for (const engine of ENGINES) {
  describe(`local accounts, sessions and the route policy on ${engine}`, () => {
    let t: TestDatabase;
    let runtime: Runtime;
    let app: App;
    let base: string;
    let dataRoot: string;
    let centerA: number;
    let centerB: number;

    before(async () => {
      t = await createTestDatabase(engine);
      dataRoot = tempDataRoot();
      ({ runtime, app, base } = await startApp({
        DJANGO_ENV: 'test',
        DATA_DIR: dataRoot,
        ...t.env,
        DJANGO_SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
        DJANGO_ALLOWED_HOSTS: '127.0.0.1,localhost',
        DJANGO_CSRF_TRUSTED_ORIGINS: SPA,
        DJANGO_CORS_ALLOWED_ORIGINS: SPA,
        LX_ANNOTATE_SESSION_IDLE_SECONDS: '600',
        LX_ANNOTATE_SESSION_ABSOLUTE_SECONDS: '3600',
      }));
      centerA = (await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' })).id;
      centerB = (await runtime.centers.ensureCenter({ name: 'Klinik B', centerKey: 'klinik-b' })).id;
      const users = runtime.auth.users;
      await users.create({ username: 'reader', password: STRONG, roles: ['video:read'], centerKeys: ['klinik-a'] }, 'test');
      await users.create({ username: 'writer', password: STRONG, roles: ['video:write'], centerKeys: ['klinik-a', 'klinik-b'] }, 'test');
      await users.create({ username: 'nocenter', password: STRONG, roles: ['endoregdb_user'] }, 'test');
      await users.create({ username: 'root', password: STRONG, superuser: true }, 'test');
    });
    after(async () => {
      await app.close();
      await runtime.close();
      await t.dispose();
    });

    test('anonymous: API requests get 403 with DRF detail, browsers are redirected to the login page with next', async () => {
      const api = await fetch(`${base}/api/probe/video/`);
      assert.equal(api.status, 403);
      assert.deepEqual(await api.json(), { detail: 'Authentication credentials were not provided.' });
      const browser = await fetch(`${base}/api/probe/video/?x=1`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
      assert.equal(browser.status, 302);
      assert.equal(browser.headers.get('location'), `/login/?next=${encodeURIComponent('/api/probe/video/?x=1')}`);
      const session = await json(await fetch(`${base}/api/auth/session/`));
      assert.equal(session.authenticated, false);
      assert.equal(session.loginUrl, '/login/');
      assert.deepEqual(session.authMethods, ['local']);
    });

    test('public node-to-node routes are never redirected and need no CSRF token', async () => {
      // The real hub receiver: public (it authenticates nodes itself); disabled on this standalone site, so 404 —
      // neither a login redirect for the browser-like Accept header nor a CSRF refusal.
      const r = await fetch(`${base}/api/media/hub/transfers/`, { method: 'POST', redirect: 'manual', headers: { accept: 'text/html', 'content-type': 'application/json' }, body: '{}' });
      assert.equal(r.status, 404);
      assert.equal(r.headers.get('location'), null);
      assert.doesNotMatch(await r.text(), /CSRF/);
    });

    test('sign-in needs the CSRF token and a trusted origin; the session cookie is HttpOnly and SameSite', async () => {
      const jar = new CookieJar();
      const noToken = await jar.fetch(`${base}/api/auth/login/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'reader', password: STRONG }) });
      assert.equal(noToken.status, 403);
      assert.match((await json(noToken)).detail, /CSRF Failed: CSRF token missing/);
      const headers: Record<string, string> = { ...(await csrfHeaders(jar, base)), 'content-type': 'application/json' };
      const foreign = await jar.fetch(`${base}/api/auth/login/`, { method: 'POST', headers: { ...headers, origin: 'https://evil.example' }, body: JSON.stringify({ username: 'reader', password: STRONG }) });
      assert.equal(foreign.status, 403);
      assert.match((await json(foreign)).detail, /Origin checking failed/);
      const tampered = await jar.fetch(`${base}/api/auth/login/`, { method: 'POST', headers: { ...headers, 'x-csrftoken': `${headers['x-csrftoken']?.slice(0, -2)}xx` }, body: JSON.stringify({ username: 'reader', password: STRONG }) });
      assert.equal(tampered.status, 403);
      const ok = await jar.fetch(`${base}/api/auth/login/`, { method: 'POST', headers: { ...headers, origin: SPA }, body: JSON.stringify({ username: 'reader', password: STRONG }) });
      assert.equal(ok.status, 200, JSON.stringify(await ok.clone().json()));
      const body = await json(ok);
      assert.equal(body.authenticated, true);
      assert.equal(body.user.username, 'reader');
      assert.deepEqual(body.roles, ['video:read']);
      assert.deepEqual(body.centers.map((c: { centerKey: string }) => c.centerKey), ['klinik-a']);
      assert.deepEqual(body.capabilities.video, { read: true, write: false });
      const cookies = ok.headers.getSetCookie();
      const session = cookies.find((c) => c.startsWith('sessionid='));
      assert.ok(session);
      assert.match(session, /HttpOnly/i);
      assert.match(session, /SameSite=Lax/i);
      assert.match(session, /Max-Age=3600/);
      assert.ok(cookies.some((c) => c.startsWith('csrftoken=') && !/HttpOnly/i.test(c)), 'a new CSRF token bound to the new session');
      assert.notEqual(jar.get(new URL(base).origin, 'csrftoken'), headers['x-csrftoken']);
      const read = await jar.fetch(`${base}/api/probe/video/`);
      assert.equal(read.status, 200);
      assert.deepEqual(await read.json(), { user: 'reader' });
    });

    test('wrong passwords are refused in German and audited; unknown names are hashed in the ledger', async () => {
      const jar = new CookieJar();
      const wrong = await login(jar, base, 'reader', 'not-the-password');
      assert.equal(wrong.status, 401);
      assert.equal((await json(wrong)).detail, 'Benutzername oder Passwort ist falsch.');
      const unknown = await login(jar, base, 'typed-my-password-here', 'x');
      assert.equal(unknown.status, 401);
      const rows = await runtime.db.selectFrom('audit_ledger').select(['action', 'actor', 'data']).where('action', '=', 'auth.login_failed').execute();
      assert.ok(rows.some((r) => r.actor === 'reader' && JSON.parse(r.data).reason === 'wrong_password'));
      const anon = rows.find((r) => JSON.parse(r.data).reason === 'unknown_user');
      assert.ok(anon && anon.actor === null && !anon.data.includes('typed-my-password-here'));
    });

    test('sign-in rotates the session: the previous session id stops working', async () => {
      const jar = new CookieJar();
      const origin = new URL(base).origin;
      assert.equal((await login(jar, base, 'reader', STRONG)).status, 200);
      const first = jar.get(origin, 'sessionid');
      assert.equal((await login(jar, base, 'reader', STRONG)).status, 200);
      const second = jar.get(origin, 'sessionid');
      assert.notEqual(first, second);
      const stale = await fetch(`${base}/api/probe/video/`, { headers: { cookie: `sessionid=${first}` } });
      assert.equal(stale.status, 403);
    });

    test('the policy: read role reads but cannot write (denial audited); write role writes with CSRF only', async () => {
      const reader = new CookieJar();
      await login(reader, base, 'reader', STRONG);
      const denied = await reader.fetch(`${base}/api/probe/video/`, { method: 'POST', headers: await csrfHeaders(reader, base) });
      assert.equal(denied.status, 403);
      assert.deepEqual(await denied.json(), { detail: 'You do not have permission to perform this action.' });
      const entry = await runtime.db.selectFrom('audit_ledger').select(['actor', 'object_pk', 'data']).where('action', '=', 'auth.access_denied').orderBy('sequence', 'desc').executeTakeFirstOrThrow();
      assert.equal(entry.actor, 'reader');
      assert.equal(entry.object_pk, 'POST /api/probe/video/');
      assert.equal(JSON.parse(entry.data).reason, 'forbidden');

      const writer = new CookieJar();
      await login(writer, base, 'writer', STRONG);
      const noCsrf = await writer.fetch(`${base}/api/probe/video/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(noCsrf.status, 403);
      assert.match((await json(noCsrf)).detail, /CSRF/);
      const otherSessionsToken = await writer.fetch(`${base}/api/probe/video/`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrftoken': reader.get(new URL(base).origin, 'csrftoken') ?? '' }, body: '{}' });
      assert.equal(otherSessionsToken.status, 403, "another session's token does not validate");
      const ok = await writer.fetch(`${base}/api/probe/video/`, { method: 'POST', headers: await csrfHeaders(writer, base) });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { wrote: 'writer' });
      const unmapped = await writer.fetch(`${base}/api/probe/video/`, { method: 'PROPFIND' });
      assert.ok([403, 404].includes(unmapped.status));
    });

    test('center isolation: own centers pass, others and users without centers get 403 (audited); superusers pass', async () => {
      const reader = new CookieJar();
      await login(reader, base, 'reader', STRONG);
      assert.equal((await reader.fetch(`${base}/api/probe/centers/${centerA}/`)).status, 200);
      const other = await reader.fetch(`${base}/api/probe/centers/${centerB}/`);
      assert.equal(other.status, 403);
      assert.deepEqual(await other.json(), { detail: 'You do not have access to this center.' });
      const audited = await runtime.db.selectFrom('audit_ledger').select(['center_id', 'data']).where('action', '=', 'auth.access_denied').orderBy('sequence', 'desc').executeTakeFirstOrThrow();
      assert.equal(Number(audited.center_id), centerB);
      assert.equal(JSON.parse(audited.data).reason, 'center_scope');

      const none = new CookieJar();
      await login(none, base, 'nocenter', STRONG);
      const noScope = await none.fetch(`${base}/api/probe/centers/${centerA}/`);
      assert.equal(noScope.status, 403);
      assert.deepEqual(await noScope.json(), { detail: 'You do not have access to any center.' });

      const root = new CookieJar();
      await login(root, base, 'root', STRONG);
      assert.equal((await root.fetch(`${base}/api/probe/centers/${centerB}/`)).status, 200);
      const session = await json(await root.fetch(`${base}/api/auth/session/`));
      assert.equal(session.allCenters, true);
    });

    test('idle and absolute timeouts end sessions server-side', async () => {
      const jar = new CookieJar();
      await login(jar, base, 'reader', STRONG);
      assert.equal((await jar.fetch(`${base}/api/probe/video/`)).status, 200);
      const user = await runtime.auth.users.findByUsername('reader');
      const signed = jar.get(new URL(base).origin, 'sessionid') ?? '';
      const rowId = createHash('sha256').update(signed.slice(0, signed.lastIndexOf('.'))).digest('hex');
      assert.ok(await runtime.db.selectFrom('sessions').select('id').where('id', '=', rowId).executeTakeFirst(), 'the row is keyed by the token hash');
      assert.equal(JSON.stringify(await runtime.db.selectFrom('sessions').selectAll().execute()).includes(signed.slice(0, 20)), false, 'the token itself is not stored');
      await runtime.db.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 601_000).toISOString() }).where('user_id', '=', user?.id ?? -1).execute();
      assert.equal((await jar.fetch(`${base}/api/probe/video/`)).status, 403, 'idle too long');
      assert.equal(await runtime.db.selectFrom('sessions').select('id').where('id', '=', rowId).executeTakeFirst(), undefined, 'an expired session is deleted');

      const jar2 = new CookieJar();
      await login(jar2, base, 'reader', STRONG);
      await runtime.db.updateTable('sessions').set({ created_at: new Date(Date.now() - 3601_000).toISOString() }).where('user_id', '=', user?.id ?? -1).execute();
      assert.equal((await jar2.fetch(`${base}/api/probe/video/`)).status, 403, 'older than the absolute limit, however active');
    });

    test(`rate limit: ${LOGIN_LIMITS.perAccount} failures lock the account name for every process sharing the database`, async () => {
      await runtime.auth.users.create({ username: 'target', password: STRONG, roles: ['video:read'] }, 'test');
      const jar = new CookieJar();
      for (let i = 0; i < LOGIN_LIMITS.perAccount; i += 1) assert.equal((await login(jar, base, 'target', `wrong-${i}`)).status, 401);
      const locked = await login(jar, base, 'target', STRONG);
      assert.equal(locked.status, 429);
      assert.match((await json(locked)).detail, /Zu viele fehlgeschlagene Anmeldeversuche/);
      assert.ok(Number(locked.headers.get('retry-after')) > 0);
      // A second web worker over the same database enforces the same lock.
      const second = await startApp({ DJANGO_ENV: 'test', DATA_DIR: dataRoot, ...t.env, DJANGO_SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop', DJANGO_ALLOWED_HOSTS: '127.0.0.1' });
      try {
        const jar2 = new CookieJar();
        assert.equal((await login(jar2, second.base, 'TARGET', STRONG)).status, 429, 'the account key is case-insensitive');
      } finally {
        await second.app.close();
        await second.runtime.close();
      }
      const audited = await runtime.db.selectFrom('audit_ledger').select('data').where('action', '=', 'auth.login_failed').execute();
      assert.ok(audited.some((r) => JSON.parse(r.data).reason === 'rate_limited'));
    });

    test('first-run admin: 0600 one-time password file, forced password change, then full access', async () => {
      const fresh = await createTestDatabase(engine);
      const root = tempDataRoot();
      const other = await startApp({ DJANGO_ENV: 'test', DATA_DIR: root, ...fresh.env, DJANGO_SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop', DJANGO_ALLOWED_HOSTS: '127.0.0.1' });
      try {
        const file = join(root, 'initial-admin-password.txt');
        assert.deepEqual(await other.runtime.auth.users.ensureInitialAdmin(file, 'test'), { created: true });
        assert.deepEqual(await other.runtime.auth.users.ensureInitialAdmin(file, 'test'), { created: false }, 'idempotent');
        assert.equal(statSync(file).mode & 0o777, 0o600);
        const oneTime = readFileSync(file, 'utf8').trim();
        assert.match(oneTime, /^[A-Za-z0-9]{20}$/);

        const jar = new CookieJar();
        const signedIn = await login(jar, other.base, 'admin', oneTime);
        assert.equal(signedIn.status, 200);
        assert.equal((await json(signedIn)).user.mustChangePassword, true);
        const blocked = await jar.fetch(`${other.base}/api/probe/video/`);
        assert.equal(blocked.status, 403);
        assert.deepEqual(await blocked.json(), { detail: 'Password change required.', code: 'password_change_required' });
        const page = await jar.fetch(`${other.base}/api/probe/video/`, { headers: { accept: 'text/html' } });
        assert.equal(page.status, 302);

        const weak = await jar.fetch(`${other.base}/api/auth/password/`, { method: 'POST', headers: { ...(await csrfHeaders(jar, other.base)), 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword: oneTime, newPassword: 'kurz' }) });
        assert.equal(weak.status, 400);
        assert.match((await json(weak)).error, /mindestens 12 Zeichen/);
        const changed = await jar.fetch(`${other.base}/api/auth/password/`, { method: 'POST', headers: { ...(await csrfHeaders(jar, other.base)), 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword: oneTime, newPassword: STRONG }) });
        assert.equal(changed.status, 200);
        assert.equal((await json(changed)).user.mustChangePassword, false);
        assert.equal(existsSync(file), false, 'the one-time password file is removed once used');
        assert.equal((await jar.fetch(`${other.base}/api/probe/video/`)).status, 200, 'the session stays valid after the change');
        assert.equal((await login(new CookieJar(), other.base, 'admin', oneTime)).status, 401);
      } finally {
        await other.app.close();
        await other.runtime.close();
        await fresh.dispose();
      }
    });

    test('the server-rendered login page signs in with a form post (German, CSRF field)', async () => {
      const jar = new CookieJar();
      const page = await jar.fetch(`${base}/login/?next=/api/probe/video/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<html lang="de">/);
      assert.match(html, /Benutzername/);
      const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html)?.[1];
      assert.ok(token);
      const form = new URLSearchParams({ username: 'reader', password: STRONG, next: '/api/probe/video/', csrfmiddlewaretoken: token });
      const posted = await jar.fetch(`${base}/login/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
      assert.equal(posted.status, 303);
      assert.equal(posted.headers.get('location'), '/api/probe/video/');
      assert.equal((await jar.fetch(`${base}/api/probe/video/`)).status, 200);
      const offsite = new URLSearchParams({ username: 'reader', password: STRONG, next: '//evil.example/x', csrfmiddlewaretoken: jar.get(new URL(base).origin, 'csrftoken') ?? '' });
      const redirected = await jar.fetch(`${base}/login/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: offsite.toString() });
      assert.equal(redirected.headers.get('location'), '/', 'no open redirect');
    });

    test('logout ends the session server-side and clears the cookie', async () => {
      const jar = new CookieJar();
      await login(jar, base, 'writer', STRONG);
      const token = jar.get(new URL(base).origin, 'sessionid');
      const out = await jar.fetch(`${base}/api/auth/logout/`, { method: 'POST', headers: await csrfHeaders(jar, base) });
      assert.equal(out.status, 200);
      assert.deepEqual(await out.json(), { detail: 'Abgemeldet.', logoutUrl: null });
      assert.equal(jar.get(new URL(base).origin, 'sessionid'), undefined);
      assert.equal((await fetch(`${base}/api/probe/video/`, { headers: { cookie: `sessionid=${token}` } })).status, 403);
    });

    test('CORS only for the configured origin, with credentials and never a wildcard', async () => {
      const allowed = await fetch(`${base}/api/auth/session/`, { headers: { origin: SPA } });
      assert.equal(allowed.headers.get('access-control-allow-origin'), SPA);
      assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
      const other = await fetch(`${base}/api/auth/session/`, { headers: { origin: 'https://evil.example' } });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      const preflight = await fetch(`${base}/api/probe/video/`, { method: 'OPTIONS', headers: { origin: SPA, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-csrftoken,content-type' } });
      assert.equal(preflight.status, 204);
      assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /x-csrftoken/);
      const badPreflight = await fetch(`${base}/api/probe/video/`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      assert.equal(badPreflight.headers.get('access-control-allow-origin'), null);
    });

    test('allowed hosts are enforced (400), except for the health probes; security headers are set', async () => {
      const { request } = await import('node:http');
      const withHost = (path: string, host: string): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = request(`${base}${path}`, { headers: { host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
      assert.equal(await withHost('/api/auth/session/', 'evil.example'), 400);
      assert.equal(await withHost('/api/auth/session/', 'localhost:8000'), 200);
      assert.equal(await withHost('/healthz', 'evil.example'), 200);
      const r = await fetch(`${base}/api/auth/session/`);
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.equal(r.headers.get('x-frame-options'), 'DENY');
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(r.headers.get('strict-transport-security'), null, 'HSTS only in production');
    });

    test('the audit ledger recorded sign-ins, failures, denials and role changes, and verifies', async () => {
      await runtime.auth.users.setRoles('reader', ['video:read', 'patient:read'], 'test');
      await runtime.auth.users.setCenters('reader', ['klinik-b'], 'test');
      const actions = new Set(await auditActions(runtime));
      for (const a of ['auth.user_created', 'auth.login_succeeded', 'auth.login_failed', 'auth.access_denied', 'auth.roles_changed', 'auth.center_scope_changed', 'auth.logout']) {
        assert.ok(actions.has(a), a);
      }
      assert.deepEqual(await runtime.audit.verify(), { ok: true, entries: (await auditActions(runtime)).length });
    });
  });
}

describe('ENFORCE_AUTH', () => {
  test('development with ENFORCE_AUTH=0 runs requests as the development superuser', async () => {
    const t = await createTestDatabase('sqlite');
    const { runtime, app, base } = await startApp({ DJANGO_ENV: 'development', DATA_DIR: tempDataRoot(), ...t.env });
    try {
      const r = await fetch(`${base}/api/probe/video/`, { method: 'POST' });
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { wrote: 'development' });
      const session = await json(await fetch(`${base}/api/auth/session/`));
      assert.equal(session.authEnforced, false);
      assert.equal(session.user.isSuperuser, true);
    } finally {
      await app.close();
      await runtime.close();
      await t.dispose();
    }
  });

  test('production has no bypass: ENFORCE_AUTH=0 still requires a signed-in user', async () => {
    const t = await createTestDatabase('sqlite');
    const root = tempDataRoot();
    const { runtime, app, base } = await startApp({
      ...productionEnv(root),
      ...t.env,
      DJANGO_ALLOWED_HOSTS: '127.0.0.1',
      DJANGO_CSRF_TRUSTED_ORIGINS: SPA,
      DJANGO_CORS_ALLOWED_ORIGINS: SPA,
      ENFORCE_AUTH: '0',
    });
    try {
      const r = await fetch(`${base}/api/probe/video/`);
      assert.equal(r.status, 403);
      assert.equal((await json(await fetch(`${base}/api/auth/session/`))).authEnforced, true);
      assert.match(r.headers.get('strict-transport-security') ?? '', /max-age=31536000/);
      await runtime.auth.users.create({ username: 'prod', password: STRONG, roles: ['video:read'] }, 'test');
      const jar = new CookieJar();
      const signedIn = await login(jar, base, 'prod', STRONG);
      assert.match(signedIn.headers.getSetCookie().find((c) => c.startsWith('sessionid=')) ?? '', /Secure/);
    } finally {
      await app.close();
      await runtime.close();
      await t.dispose();
    }
  });
});

import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as jose from 'jose';
import * as client from 'openid-client';
import type { App } from '../../src/http/app.js';
import { actorOf, InvalidToken, OidcClient, OidcUnavailable } from '../../src/features/auth/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiApp } from '../../src/main/api.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { CookieJar, generateRsaJwk, loginAtProvider, startOidcProvider, TEST_RESOURCE, type TestAccount, type TestOidcProvider } from '../helpers/oidc-provider.js';

const CLIENT_ID = 'lx-frontend';
const CLIENT_SECRET = 'file-secret-4f9a2c7e1b';

async function json(response: Response): Promise<Record<string, any>> {
  return (await response.json()) as Record<string, any>;
}

/** Runs the code flow through our server: start, provider login, callback. Returns the callback answer. */
async function signInThroughServer(jar: CookieJar, base: string, login: string, password: string, next = '/api/probe/video/'): Promise<Response> {
  const start = await jar.fetch(`${base}/oidc/authenticate/?next=${encodeURIComponent(next)}`);
  assert.equal(start.status, 302);
  const back = await loginAtProvider(jar, start.headers.get('location') ?? '', login, password);
  assert.equal(`${back.origin}${back.pathname}`, `${base}/oidc/callback/`);
  return jar.fetch(back.href);
}

for (const engine of ENGINES) {
  describe(`OpenID Connect against a real provider on ${engine}`, () => {
    let t: TestDatabase;
    let op: TestOidcProvider;
    let runtime: Runtime;
    let app: App;
    let base: string;
    const accounts: Record<string, TestAccount> = {
      'sub-alice': {
        password: 'alice-pw',
        idClaims: { preferred_username: 'alice', email: 'alice@klinik-a.example', name: 'Dr. Alice Arzt' },
        accessClaims: { realm_access: { roles: ['endoregdb_user', 'offline_access'] }, groups: ['/centers/klinik-a', '/staff'], typ: 'Bearer' },
      },
      'sub-admin-lookalike': { password: 'x', idClaims: { preferred_username: 'admin', roles: ['video:read'] } },
    };
    const configureProvider = (redirect: string, postLogout: string): void =>
      op.configure({
        clients: [
          { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [redirect], postLogoutRedirectUris: [postLogout] },
          { clientId: 'other-app', clientSecret: 'other-secret', grant: 'client_credentials' },
        ],
        accounts,
      });

    before(async () => {
      t = await createTestDatabase(engine);
      op = await startOidcProvider();
      configureProvider('http://127.0.0.1:1/oidc/callback/', 'http://127.0.0.1:1/');
      const root = tempDataRoot();
      // The client secret comes from a *_FILE: the one that passed the config check is the one the token request uses.
      const secretFile = join(root, 'oidc-secret');
      writeFileSync(secretFile, `${CLIENT_SECRET}\n`, { mode: 0o600 });
      runtime = compose(
        configFrom({
          DJANGO_ENV: 'test',
          DATA_DIR: root,
          ...t.env,
          DJANGO_SECRET_KEY: 'test-secret-key-0123456789-abcdefghijklmnop',
          DJANGO_ALLOWED_HOSTS: '127.0.0.1',
          KEYCLOAK_BASE_URL: op.origin,
          KEYCLOAK_REALM: op.realm,
          OIDC_RP_CLIENT_ID: CLIENT_ID,
          DJANGO_KEYCLOAK_CLIENT_SECRET_FILE: secretFile,
        }),
        { logger: createLogger({ level: 'silent' }) },
      );
      app = createApiApp(runtime);
      app.get('/api/probe/video/', { config: { resource: 'video' } }, async (request) => ({ user: actorOf(request).username, via: actorOf(request).via }));
      app.post('/api/probe/video/', { config: { resource: 'video' } }, async (request) => ({ wrote: actorOf(request).username }));
      app.post('/api/probe/node-to-node/', { config: { public: true } }, async (request) => ({ actor: request.actor?.username ?? null }));
      base = await app.listen({ host: '127.0.0.1', port: 0 });
      configureProvider(`${base}/oidc/callback/`, `${base}/`);
      await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' });
    });
    after(async () => {
      await app.close();
      await runtime.close();
      await op.close();
      await t.dispose();
    });

    test('authorization code flow with PKCE: the request carries S256 challenge, state, nonce, scopes and prompt=login', async () => {
      const jar = new CookieJar();
      const start = await jar.fetch(`${base}/oidc/authenticate/?next=/api/probe/video/`);
      assert.equal(start.status, 302);
      const url = new URL(start.headers.get('location') ?? '');
      assert.equal(`${url.origin}${url.pathname}`, `${op.issuer}/auth`);
      const p = url.searchParams;
      assert.equal(p.get('client_id'), CLIENT_ID);
      assert.equal(p.get('response_type'), 'code');
      assert.equal(p.get('scope'), 'openid email profile');
      assert.equal(p.get('code_challenge_method'), 'S256');
      assert.match(p.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
      assert.ok((p.get('state') ?? '').length >= 32 && (p.get('nonce') ?? '').length >= 32);
      assert.equal(p.get('prompt'), 'login');
      assert.equal(p.get('redirect_uri'), `${base}/oidc/callback/`);
      assert.ok(jar.get(base, 'sessionid'), 'the pending sign-in lives server-side behind the session cookie');
    });

    test('signing in creates the user with roles from realm_access and centers from /centers/ groups; the session rotates', async () => {
      const jar = new CookieJar();
      const start = await jar.fetch(`${base}/oidc/authenticate/?next=/api/probe/video/`);
      const pending = jar.get(base, 'sessionid');
      const back = await loginAtProvider(jar, start.headers.get('location') ?? '', 'sub-alice', 'alice-pw');
      const callback = await jar.fetch(back.href);
      assert.equal(callback.status, 302, await callback.clone().text());
      assert.equal(callback.headers.get('location'), '/api/probe/video/');
      assert.notEqual(jar.get(base, 'sessionid'), pending);
      const probe = await jar.fetch(`${base}/api/probe/video/`);
      assert.deepEqual(await probe.json(), { user: 'alice', via: 'session' });
      const session = await json(await jar.fetch(`${base}/api/auth/session/`));
      assert.deepEqual(session.roles, ['endoregdb_user', 'offline_access']);
      assert.deepEqual(session.centers.map((c: { centerKey: string }) => c.centerKey), ['klinik-a']);
      assert.equal(session.user.sub, 'sub-alice');
      assert.equal(session.user.authSource, 'oidc');
      assert.equal(session.user.annotator, 'oidc:sub-alice');
      assert.equal(session.user.email, 'alice@klinik-a.example');
      assert.equal(session.loginUrl, '/oidc/authenticate/');
      assert.equal(session.logoutUrl, '/oidc/logout/');
      const bootstrap = await json(await jar.fetch(`${base}/api/auth/bootstrap`));
      assert.deepEqual(bootstrap.user, { username: 'alice', roles: ['endoregdb_user', 'offline_access'], sub: 'sub-alice' });
      const replay = await jar.fetch(back.href);
      assert.equal(replay.status, 403, 'a callback is redeemed once');
    });

    test('roles and centers from the token replace the stored ones at every sign-in (audited)', async () => {
      const alice = accounts['sub-alice'] as { accessClaims: Record<string, unknown> };
      const previous = alice.accessClaims;
      alice.accessClaims = { realm_access: { roles: ['video:read'] }, groups: ['/centers/unknown-center'], typ: 'Bearer' };
      try {
        const jar = new CookieJar();
        assert.equal((await signInThroughServer(jar, base, 'sub-alice', 'alice-pw')).status, 302);
        const session = await json(await jar.fetch(`${base}/api/auth/session/`));
        assert.deepEqual(session.roles, ['video:read']);
        assert.deepEqual(session.centers, []);
        const denied = await jar.fetch(`${base}/api/probe/video/`, { method: 'POST', headers: { 'x-csrftoken': jar.get(base, 'csrftoken') ?? '' } });
        assert.equal(denied.status, 403);
        const rows = await runtime.db.selectFrom('audit_ledger').select(['action', 'data']).where('action', 'in', ['auth.roles_changed', 'auth.center_scope_changed']).orderBy('sequence').execute();
        const lastRoles = JSON.parse(rows.filter((r) => r.action === 'auth.roles_changed').at(-1)?.data ?? '{}');
        assert.deepEqual(lastRoles.before, ['endoregdb_user', 'offline_access']);
        assert.deepEqual(lastRoles.after, ['video:read']);
        const lastCenters = JSON.parse(rows.filter((r) => r.action === 'auth.center_scope_changed').at(-1)?.data ?? '{}');
        assert.deepEqual(lastCenters.before, ['klinik-a']);
        assert.deepEqual(lastCenters.after, []);
        assert.deepEqual(lastCenters.unknown_center_keys, ['unknown-center']);
      } finally {
        alice.accessClaims = previous;
      }
    });

    test('a provider username equal to a local account never takes that account over', async () => {
      await runtime.auth.users.create({ username: 'admin', password: 'Sommer-Endoskopie-7', superuser: true }, 'test');
      const jar = new CookieJar();
      assert.equal((await signInThroughServer(jar, base, 'sub-admin-lookalike', 'x')).status, 302);
      const session = await json(await jar.fetch(`${base}/api/auth/session/`));
      assert.match(session.user.username, /^admin-[0-9a-f]{8}$/);
      assert.equal(session.user.isSuperuser, false);
      assert.deepEqual(session.roles, ['video:read'], 'the flat roles claim of the ID token counts too');
    });

    test('tampered state, provider errors and expired pending sign-ins are refused and audited', async () => {
      const jar = new CookieJar();
      const start = await jar.fetch(`${base}/oidc/authenticate/`);
      const back = await loginAtProvider(jar, start.headers.get('location') ?? '', 'sub-alice', 'alice-pw');
      back.searchParams.set('state', 'forged-state-value');
      const forged = await jar.fetch(back.href);
      assert.equal(forged.status, 403);
      assert.match(await forged.text(), /Anmeldung fehlgeschlagen/);

      const jar2 = new CookieJar();
      await (await jar2.fetch(`${base}/oidc/authenticate/`)).body?.cancel();
      const refused = await jar2.fetch(`${base}/oidc/callback/?error=access_denied&state=x`);
      assert.equal(refused.status, 403);
      const noPending = await new CookieJar().fetch(`${base}/oidc/callback/?code=abc&state=def`);
      assert.equal(noPending.status, 403);
      const reasons = (await runtime.db.selectFrom('audit_ledger').select('data').where('action', '=', 'auth.login_failed').execute()).map((r) => JSON.parse(r.data).reason as string);
      assert.ok(reasons.some((r) => r.startsWith('callback_rejected')));
      assert.ok(reasons.includes('provider_error:access_denied'));
    });

    describe('Bearer access tokens', () => {
      let accessToken: string;
      let idToken: string;
      before(async () => {
        // The test is an API client of its own: a direct code flow with the same client.
        const config = await client.discovery(new URL(op.issuer), CLIENT_ID, CLIENT_SECRET, client.ClientSecretBasic(CLIENT_SECRET), { execute: [client.allowInsecureRequests] });
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const url = client.buildAuthorizationUrl(config, { redirect_uri: `${base}/oidc/callback/`, scope: 'openid email profile', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
        const back = await loginAtProvider(new CookieJar(), url.href, 'sub-alice', 'alice-pw');
        const tokens = await client.authorizationCodeGrant(config, back, { pkceCodeVerifier: verifier, expectedState: state });
        accessToken = tokens.access_token;
        idToken = tokens.id_token ?? '';
        assert.equal(jose.decodeProtectedHeader(accessToken).typ, 'at+jwt');
      });

      test('a provider-issued access token is accepted without session or CSRF', async () => {
        const r = await fetch(`${base}/api/probe/video/`, { headers: { authorization: `Bearer ${accessToken}` } });
        assert.equal(r.status, 200);
        assert.deepEqual(await r.json(), { user: 'alice', via: 'bearer' });
        const w = await fetch(`${base}/api/probe/video/`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
        assert.equal(w.status, 200, 'endoregdb_user passes writes; Bearer requests carry no ambient credentials, so no CSRF');
        assert.equal(w.headers.getSetCookie().length, 0, 'no cookies for token clients');
      });

      /** 401 over HTTP, and refused by the verifier for the expected reason (not by accident). */
      const refused = async (token: string, reason: RegExp): Promise<void> => {
        const r = await fetch(`${base}/api/probe/video/`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(r.status, 401);
        assert.deepEqual(await r.json(), { detail: 'Invalid or expired token.' });
        assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
        await assert.rejects(runtime.auth.oidc?.verifyAccessToken(token) ?? Promise.reject(new Error('no oidc')), (e: unknown) => e instanceof InvalidToken && reason.test(e.reason));
      };

      test('a token for another audience (another client of the same provider) is refused', async () => {
        const config = await client.discovery(new URL(op.issuer), 'other-app', 'other-secret', undefined, { execute: [client.allowInsecureRequests] });
        const foreign = await client.clientCredentialsGrant(config, { resource: TEST_RESOURCE });
        assert.equal(jose.decodeJwt(foreign.access_token).aud, 'other-app');
        await refused(foreign.access_token, /ERR_JWT_CLAIM_VALIDATION_FAILED/);
      });

      test('an expired token signed by the provider key is refused', async () => {
        const key = createPrivateKey({ key: op.signingJwk as never, format: 'jwk' });
        const now = Math.floor(Date.now() / 1000);
        const expired = await new jose.SignJWT({ client_id: CLIENT_ID, realm_access: { roles: ['endoregdb_user'] } })
          .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: op.signingJwk.kid })
          .setIssuer(op.issuer)
          .setAudience(CLIENT_ID)
          .setSubject('sub-alice')
          .setIssuedAt(now - 900)
          .setExpirationTime(now - 600)
          .sign(key);
        await refused(expired, /ERR_JWT_EXPIRED/);
      });

      test('forged tokens are refused: foreign key with the provider kid, HS256 with the public key, alg none, garbage', async () => {
        const { privateJwk } = generateRsaJwk(op.signingJwk.kid);
        const now = Math.floor(Date.now() / 1000);
        const claims = { client_id: CLIENT_ID, realm_access: { roles: ['endoregdb_user'] } };
        const forged = await new jose.SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: op.signingJwk.kid })
          .setIssuer(op.issuer)
          .setAudience(CLIENT_ID)
          .setSubject('sub-alice')
          .setIssuedAt(now)
          .setExpirationTime(now + 300)
          .sign(createPrivateKey({ key: privateJwk as never, format: 'jwk' }));
        await refused(forged, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
        const hmac = await new jose.SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: op.signingJwk.kid })
          .setIssuer(op.issuer)
          .setAudience(CLIENT_ID)
          .setSubject('sub-alice')
          .setIssuedAt(now)
          .setExpirationTime(now + 300)
          .sign(new TextEncoder().encode(JSON.stringify({ kty: 'RSA', n: op.signingJwk.n, e: op.signingJwk.e })));
        await refused(hmac, /ERR_JOSE_ALG_NOT_ALLOWED/);
        const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, iss: op.issuer, aud: CLIENT_ID, sub: 'sub-alice', exp: now + 300 })).toString('base64url')}.`;
        await refused(none, /ERR_JOSE_ALG_NOT_ALLOWED|ERR_JWS_INVALID/);
        await refused('not-a-jwt', /ERR_JWS_INVALID/);
        await refused(`${accessToken.slice(0, -4)}AAAA`, /ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
      });

      test('an ID token is not an access token', async () => {
        assert.ok(idToken);
        await refused(idToken, /not an access token/);
      });

      test('refused tokens are audited; public node routes ignore a bad token instead of failing', async () => {
        const denied = await runtime.db.selectFrom('audit_ledger').select('data').where('action', '=', 'auth.access_denied').execute();
        assert.equal(denied.filter((r) => JSON.parse(r.data).reason === 'invalid_token').length, 1, 'a burst of bad tokens from one address is one entry a minute');
        const hub = await fetch(`${base}/api/probe/node-to-node/`, { method: 'POST', headers: { authorization: 'Bearer garbage', accept: 'text/html' } });
        assert.equal(hub.status, 200);
        assert.deepEqual(await hub.json(), { actor: null });
      });
    });

    test('logout is RP-initiated: the session ends and the browser goes to the end-session endpoint with id_token_hint', async () => {
      const jar = new CookieJar();
      await signInThroughServer(jar, base, 'sub-alice', 'alice-pw');
      const out = await jar.fetch(`${base}/oidc/logout/`);
      assert.equal(out.status, 302);
      const to = new URL(out.headers.get('location') ?? '');
      assert.equal(`${to.origin}${to.pathname}`, `${op.issuer}/session/end`);
      assert.equal(to.searchParams.get('post_logout_redirect_uri'), `${base}/`);
      assert.equal(to.searchParams.get('client_id'), CLIENT_ID);
      assert.ok(jose.decodeJwt(to.searchParams.get('id_token_hint') ?? '').sub === 'sub-alice');
      assert.equal((await jar.fetch(`${base}/api/probe/video/`)).status, 403);
      const endSession = await jar.fetch(to.href);
      assert.equal(endSession.status, 200, 'the provider accepts the logout request');
    });

    test('the ledger verifies after all of it', async () => {
      const result = await runtime.audit.verify();
      assert.equal(result.ok, true);
      assert.ok(result.entries > 10);
    });
  });
}

describe('OIDC_OP_* overrides', () => {
  let op: TestOidcProvider;
  before(async () => {
    op = await startOidcProvider({ realm: 'Elsewhere' });
    op.configure({ clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: ['http://127.0.0.1:1/oidc/callback/'] }], accounts: {} });
  });
  after(() => op.close());

  test('an explicit discovery URL replaces base URL + realm; endpoint overrides win over the discovered ones', async () => {
    const settings = configFrom({
      DJANGO_ENV: 'test',
      DATA_DIR: tempDataRoot(),
      OIDC_OP_DISCOVERY_ENDPOINT: `${op.issuer}/.well-known/openid-configuration`,
      OIDC_OP_LOGOUT_ENDPOINT: 'https://sso.example.org/logout',
      OIDC_OP_AUTHORIZATION_ENDPOINT: `${op.issuer}/auth?kc_idp_hint=x`,
      OIDC_RP_CLIENT_ID: CLIENT_ID,
      DJANGO_KEYCLOAK_CLIENT_SECRET: CLIENT_SECRET,
    }).settings;
    assert.equal(settings.auth.oidc.configured, true);
    const oidc = new OidcClient(settings.auth.oidc, { production: false, logger: createLogger({ level: 'silent' }) });
    await oidc.check();
    const authorization = new URL(await oidc.authorizationUrl('http://127.0.0.1:1/oidc/callback/', { state: 's'.repeat(43), nonce: 'n'.repeat(43), codeVerifier: 'v'.repeat(43) }));
    assert.equal(authorization.searchParams.get('kc_idp_hint'), 'x');
    assert.equal(`${authorization.origin}${authorization.pathname}`, `${op.issuer}/auth`);
    const logout = new URL((await oidc.endSessionUrl('id-token', 'http://127.0.0.1:1/')) ?? '');
    assert.equal(`${logout.origin}${logout.pathname}`, 'https://sso.example.org/logout');
    assert.equal(logout.searchParams.get('id_token_hint'), 'id-token');
  });

  test('a provider that does not sign ID tokens with the configured algorithm is refused', async () => {
    const settings = configFrom({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), KEYCLOAK_BASE_URL: op.origin, KEYCLOAK_REALM: op.realm, OIDC_RP_SIGN_ALGO: 'HS512' }).settings;
    const oidc = new OidcClient(settings.auth.oidc, { production: false, logger: createLogger({ level: 'silent' }) });
    await assert.rejects(oidc.check(), (e: unknown) => e instanceof OidcUnavailable && /does not sign ID tokens with HS512/.test(e.message));
  });
});

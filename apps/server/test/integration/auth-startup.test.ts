import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { productionEnv, tempDataRoot } from '../helpers/env.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';
import { childEnv, REPO_ROOT, runCliProcess, startServer, type CliResult } from '../helpers/processes.js';

const SECRET = 'startup-client-secret-93b1';

/** `lx-annotate <args>` without blocking this process's event loop (unlike runCliProcess). */
function runCliAsync(args: string[], env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', join(REPO_ROOT, 'apps/server/src/main/cli.ts'), ...args], { cwd: REPO_ROOT, env: childEnv(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (status) => resolve({ status, stdout, stderr })));
}

/** A port nothing listens on (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A self-signed certificate for 127.0.0.1 (openssl from the test packages). */
function selfSigned(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

/** A production environment that passes every other startup check, so that only OpenID decides. */
function productionBase(): Record<string, string> {
  const root = tempDataRoot();
  const keyFile = join(mkdtempSync(join(tmpdir(), 'lx-key-')), 'master.key');
  writeFileSync(keyFile, `${randomBytes(32).toString('base64url')}=\n`, { mode: 0o600 });
  return { ...productionEnv(root), LX_ANNOTATE_MASTER_KEY_FILE: keyFile };
}

/** Production needs a database password; the trust-auth test server ignores it. */
function withPassword(env: Record<string, string>): Record<string, string> {
  const url = env.DATABASE_URL ?? '';
  if (!url.startsWith('postgres')) return env;
  const u = new URL(url);
  u.password = 'unused-under-trust-auth';
  return { ...env, DATABASE_URL: u.toString() };
}

for (const engine of ENGINES) {
  describe(`production startup with OpenID Connect on ${engine}`, () => {
    let t: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      t = await createTestDatabase(engine);
      env = { ...productionBase(), ...withPassword(t.env), DJANGO_ALLOWED_HOSTS: '127.0.0.1', DJANGO_KEYCLOAK_CLIENT_SECRET: SECRET };
    });
    after(() => t.dispose());

    test('an unreachable provider: the server refuses to start with one line, exit 1, promptly, no secret', async () => {
      const port = await closedPort();
      const startedAt = Date.now();
      const r = runCliProcess(['serve', '--host', '127.0.0.1', '--port', '0'], { ...env, KEYCLOAK_BASE_URL: `https://127.0.0.1:${port}` });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] ?? '', /^lx-annotate serve: refusing to start: the OpenID provider is unreachable or misconfigured: discovery at https:\/\/127\.0\.0\.1:\d+\/realms\/EndoregDb\/\.well-known\/openid-configuration failed/);
      assert.equal((r.stdout + r.stderr).includes(SECRET), false);
      assert.ok(Date.now() - startedAt < 30_000, 'the process exits instead of lingering on open connections');
    });
  });
}

describe('production startup against a provider (sqlite)', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let op: TestOidcProvider;
  let certDir: string;
  before(async () => {
    t = await createTestDatabase('sqlite');
    certDir = mkdtempSync(join(tmpdir(), 'lx-tls-'));
    const tls = selfSigned(certDir);
    op = await startOidcProvider({ tls: { key: tls.key, cert: tls.cert } });
    op.configure({ clients: [{ clientId: 'lx-frontend', clientSecret: SECRET, redirectUris: ['https://lx.example.org/oidc/callback/'] }], accounts: {} });
    env = {
      ...productionBase(),
      ...t.env,
      DJANGO_ALLOWED_HOSTS: '127.0.0.1',
      DJANGO_KEYCLOAK_CLIENT_SECRET: SECRET,
      KEYCLOAK_BASE_URL: op.origin,
      // The operator's way to trust an internal CA (read by Node itself, not by the config).
      NODE_EXTRA_CA_CERTS: tls.certFile,
    };
  });
  after(async () => {
    await op.close();
    await t.dispose();
    rmSync(certDir, { recursive: true, force: true });
  });

  test('a wrong realm (discovery 404) is refused', async () => {
    // Asynchronously: the provider runs in this process and must keep answering meanwhile.
    const r = await runCliAsync(['serve', '--host', '127.0.0.1', '--port', '0'], { ...env, KEYCLOAK_REALM: 'NoSuchRealm' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refusing to start: .*NoSuchRealm.* failed: unexpected HTTP response status code/);
  });

  test('a plain-http provider is refused in production', () => {
    const r = runCliProcess(['serve', '--host', '127.0.0.1', '--port', '0'], { ...env, KEYCLOAK_BASE_URL: op.origin.replace('https:', 'http:') });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /refusing to start: .*not https/);
  });

  test('a reachable https provider: the server starts and sends browsers there to sign in', async () => {
    const server = await startServer(env);
    try {
      const start = await fetch(`${server.baseUrl}/oidc/authenticate/?next=/`, { redirect: 'manual' });
      assert.equal(start.status, 302);
      assert.ok((start.headers.get('location') ?? '').startsWith(`${op.issuer}/auth?`));
      assert.match(start.headers.getSetCookie().join(';'), /sessionid=.*Secure/);
      const api = await fetch(`${server.baseUrl}/api/auth/session/`);
      assert.equal(((await api.json()) as { loginUrl: string }).loginUrl, '/oidc/authenticate/');
    } finally {
      await server.stop('SIGTERM');
    }
  });
});

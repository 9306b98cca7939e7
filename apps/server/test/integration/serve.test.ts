import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { tempDataRoot } from '../helpers/env.js';
import { runCliProcess, startServer, type ServerProcess } from '../helpers/processes.js';

for (const engine of ENGINES) {
  describe(`lx-annotate on ${engine}`, () => {
    let t: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      t = await createTestDatabase(engine, { migrate: false });
      env = { DJANGO_ENV: 'development', DATA_DIR: tempDataRoot(), ...t.env };
    });
    after(() => t.dispose());

    test('serve refuses to start on a schema that is behind', () => {
      const r = runCliProcess(['serve', '--port', '0'], env);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /schema is behind.*run lx-annotate migrate/);
    });

    test('migrate, load-base-data (twice) and check succeed', () => {
      const m = runCliProcess(['migrate'], env);
      assert.equal(m.status, 0, m.stderr);
      assert.match(m.stdout, /applied \d+ migration\(s\): 0001-core\b/);
      for (let i = 0; i < 2; i += 1) {
        const b = runCliProcess(['load-base-data'], env);
        assert.equal(b.status, 0, b.stderr);
        assert.match(b.stdout, i === 0 ? /processorsCreated=4/ : /processorsCreated=0/);
      }
      const c = runCliProcess(['check', '--json'], env);
      assert.equal(c.status, 0, c.stdout + c.stderr);
      assert.equal(JSON.parse(c.stdout).status, 'ready');
    });

    describe('serve', () => {
      let server: ServerProcess;
      before(async () => {
        server = await startServer(env);
      });
      after(async () => {
        await server.stop('SIGKILL');
      });

      test('/healthz and /readyz answer JSON; readyz is green', async () => {
        const health = await fetch(`${server.baseUrl}/healthz`);
        assert.equal(health.status, 200);
        assert.equal(((await health.json()) as { status: string }).status, 'ok');
        const ready = await fetch(`${server.baseUrl}/readyz`);
        const body = (await ready.json()) as { status: string; checks: Array<{ name: string; ok: boolean }> };
        assert.equal(ready.status, 200, JSON.stringify(body));
        assert.equal(body.status, 'ready');
        assert.ok(body.checks.some((c) => c.name === 'schema' && c.ok));
      });

      test('request ids: generated, or kept when the caller sends a well-formed one', async () => {
        const own = await fetch(`${server.baseUrl}/healthz`, { headers: { 'x-request-id': 'nginx-abc12345' } });
        assert.equal(own.headers.get('x-request-id'), 'nginx-abc12345');
        const bad = await fetch(`${server.baseUrl}/healthz`, { headers: { 'x-request-id': 'x y' } });
        assert.match(bad.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      });

      test('logs are JSON lines and never contain the Authorization header', async () => {
        await fetch(`${server.baseUrl}/nope`, { headers: { authorization: 'Bearer top-secret-token-value' } });
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(server.logs().includes('top-secret-token-value'), false);
        const lines = server.logs().split('\n').filter((l) => l.startsWith('{'));
        assert.ok(lines.length > 0);
        for (const line of lines) JSON.parse(line);
      });

      test('SIGTERM shuts down cleanly with exit code 0', async () => {
        const code = await server.stop('SIGTERM');
        assert.equal(code, 0, server.logs());
      });
    });
  });
}

describe('startup refusals', () => {
  test('an invalid setting exits 2 with one line naming the variable, and writes nothing', () => {
    const root = join(tempDataRoot(), 'not-yet-created');
    const r = runCliProcess(['serve'], { DJANGO_ENV: 'development', DATA_DIR: root, ENDOREG_DEPLOYMENT_ROLE: 'hub' });
    assert.equal(r.status, 2);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /ENDOREG_DEPLOYMENT_ROLE: got "hub"; accepted: standalone \| site_node \| central_hub/);
    assert.equal(existsSync(root), false);
  });

  test('central_hub on SQLite exits 2 before touching the data root', () => {
    const root = join(tempDataRoot(), 'hub');
    const r = runCliProcess(['migrate'], { DJANGO_ENV: 'development', DATA_DIR: root, ENDOREG_DEPLOYMENT_ROLE: 'central_hub' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /central_hub/);
    assert.equal(existsSync(root), false);
  });

  test('a production start without a secret key names the variable and never a value', () => {
    const root = tempDataRoot();
    const r = runCliProcess(['serve'], { DATA_DIR: root, DJANGO_DB_PASSWORD: 'pw-should-not-print', DJANGO_DB_NAME: 'x' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /DJANGO_SECRET_KEY/);
    assert.equal(r.stderr.includes('pw-should-not-print'), false);
    assert.deepEqual(readdirSync(root), []);
  });

  test('unknown commands and options are usage errors; --help works for each command', () => {
    assert.equal(runCliProcess(['frobnicate'], {}).status, 2);
    assert.equal(runCliProcess(['migrate', '--bogus'], {}).status, 2);
    for (const command of ['serve', 'migrate', 'check', 'config', 'load-base-data']) {
      const r = runCliProcess([command, '--help'], {});
      assert.equal(r.status, 0);
      assert.match(r.stdout, new RegExp(`lx-annotate ${command}`));
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/http/app.js';
import { declarationProblem, routeTable } from '../../src/features/auth/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiApp } from '../../src/main/api.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { createTestDatabase, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';

/** Method+path pairs in Fastify's own route tree, independent of our collector. */
function countRoutesInTree(app: App): number {
  let count = 0;
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const methods = /\(([A-Z, ]+)\)\s*$/.exec(line)?.[1];
    if (methods) count += methods.split(',').length;
  }
  return count;
}

/** Every route of the app that lacks a valid declaration, as "METHOD url: problem". */
function undeclared(app: App): string[] {
  return routeTable(app)
    .map((r) => ({ r, problem: declarationProblem(r.config()) }))
    .filter((x) => x.problem !== undefined)
    .map((x) => `${x.r.method} ${x.r.url}: ${x.problem}`);
}

describe('route table: every route declares its resource or public', () => {
  let t: TestDatabase;
  let runtime: Runtime;
  before(async () => {
    t = await createTestDatabase('sqlite');
    runtime = compose(configFrom({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), ...t.env, DJANGO_SECRET_KEY: 'route-table-secret-0123456789-abcdefghij' }), { logger: createLogger({ level: 'silent' }) });
  });
  after(async () => {
    await runtime.close();
    await t.dispose();
  });

  test('the full api app: the walk covers the whole route tree and finds no undeclared route', async () => {
    const app = createApiApp(runtime);
    await app.ready();
    try {
      const table = routeTable(app);
      assert.ok(table.length > 20, `only ${table.length} routes seen`);
      assert.equal(table.length, countRoutesInTree(app), 'routes registered before the auth layer would escape the walk');
      assert.deepEqual(undeclared(app), []);
      for (const path of ['/oidc/authenticate/', '/oidc/callback/', '/api/auth/login/', '/endoreg-api/auth/login/', '/api/auth/session/', '/healthz']) {
        assert.ok(table.some((r) => r.url === path && r.config().public === true), path);
      }
    } finally {
      await app.close();
    }
  });

  test('the walk catches a route without a declaration, and such a route answers 403 to everyone', async () => {
    const app = createApiApp(runtime);
    app.get('/api/forgotten/', async () => ({ leaked: true }));
    await app.ready();
    try {
      assert.deepEqual(undeclared(app), ['GET /api/forgotten/: declares neither resource nor public', 'HEAD /api/forgotten/: declares neither resource nor public']);
      const r = await app.inject({ method: 'GET', url: '/api/forgotten/', headers: { host: '127.0.0.1' } });
      assert.equal(r.statusCode, 403);
    } finally {
      await app.close();
    }
  });

  test('contradictory or malformed declarations fail at registration', () => {
    const app = createApiApp(runtime);
    assert.throws(() => app.get('/api/both/', { config: { public: true, resource: 'video' } }, async () => ({})), /declares both resource and public/);
    assert.throws(() => app.get('/api/bad/', { config: { resource: 'Video:Read' } }, async () => ({})), /invalid resource name/);
    void app.close();
  });
});

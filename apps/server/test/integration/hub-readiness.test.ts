import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureRuntimeDirectories } from '../../src/features/admin/index.js';
import { insertNode } from '../../src/features/hub/nodes.repository.js';
import type { App } from '../../src/http/app.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiApp } from '../../src/main/api.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { createTestDatabase, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { ingestEnv, signIn, STRONG_PASSWORD, type Session } from './ingest-support.js';
import { call } from './segments-support.js';

/**
 * The administration overview's hub readiness (`admin/hub-readiness/`): the same findings as
 * `lx-annotate check` (source node, exactly one https hub, certificate files readable), read-only
 * for `hub-export:read`, re-evaluated on every request; and the export overview's German
 * configuration error.
 */
describe('admin hub readiness route', () => {
  let t: TestDatabase;
  let runtime: Runtime;
  let app: App;
  let base: string;
  let reader: Session;
  let other: Session;
  const dir = tempDataRoot('lx-hub-ready-');
  const cert = join(dir, 'client.crt');
  const key = join(dir, 'client.key');

  before(async () => {
    t = await createTestDatabase('sqlite');
    writeFileSync(cert, 'cert');
    const config = configFrom(ingestEnv(t.env, tempDataRoot(), { LX_ANNOTATE_HUB_EXPORT_CLIENT_CERT_FILE: cert, LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE: key }));
    await ensureRuntimeDirectories(config.settings);
    runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
    await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' });
    app = createApiApp(runtime);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    await runtime.auth.users.create({ username: 'admin-a', password: STRONG_PASSWORD, roles: ['hub-export:read'], centerKeys: ['klinik-a'] }, 'test');
    await runtime.auth.users.create({ username: 'arzt-a', password: STRONG_PASSWORD, roles: ['video:write'], centerKeys: ['klinik-a'] }, 'test');
    reader = await signIn(base, 'admin-a');
    other = await signIn(base, 'arzt-a');
  });
  after(async () => {
    await app.close();
    await runtime.close();
    await t.dispose();
  });

  const readiness = async (prefix = '/endoreg-api/') => {
    const r = await call(base, reader.headers, 'GET', `${prefix}admin/hub-readiness/`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return Object.fromEntries((r.body.checks as { name: string; ok: boolean; detail: string }[]).map((c) => [c.name, c]));
  };

  test('needs hub-export:read; without nodes there is nothing to report', async () => {
    assert.equal((await call(base, other.headers, 'GET', '/endoreg-api/admin/hub-readiness/')).status, 403);
    assert.equal((await call(base, {}, 'GET', '/api/admin/hub-readiness/')).status, 403);
    const r = await call(base, reader.headers, 'GET', '/api/admin/hub-readiness/');
    assert.deepEqual(r.body, { role: 'standalone', checks: [] });
  });

  test('reports a missing hub, a non-https hub, two hubs and an unreadable key file, and turns green when fixed', async () => {
    const centerId = (await runtime.db.selectFrom('centers').select('id').where('center_key', '=', 'klinik-a').executeTakeFirstOrThrow()).id;
    await insertNode(runtime.db, { nodeKey: 'klinik-a-site', displayName: 'Klinik A', role: 'site_node', baseUrl: 'https://site.example', owningCenterId: Number(centerId), secretHash: null });
    let checks = await readiness();
    assert.deepEqual(checks.hub_source_node, { name: 'hub_source_node', ok: true, severity: 'warning', detail: 'klinik-a-site' });
    assert.equal(checks.hub_target_node?.ok, false);
    assert.match(checks.hub_target_node!.detail, /found 0/);
    assert.deepEqual(checks.hub_export_certificates, { name: 'hub_export_certificates', ok: false, severity: 'warning', detail: 'missing or unreadable: LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE' });

    const overview = await call(base, reader.headers, 'GET', '/endoreg-api/hub-export/overview/');
    assert.equal(overview.status, 200, JSON.stringify(overview.body));
    assert.equal(overview.body.config_ready, false);
    assert.equal(overview.body.config_error, 'LX_ANNOTATE_HUB_EXPORT_CLIENT_KEY_FILE ist nicht lesbar: ENOENT');

    const hubId = await insertNode(runtime.db, { nodeKey: 'zentrale', displayName: 'Zentrale', role: 'central_hub', baseUrl: 'http://hub.example', owningCenterId: null, secretHash: null });
    checks = await readiness();
    assert.deepEqual([checks.hub_target_node?.ok, checks.hub_target_node?.detail], [false, 'base_url is not https']);
    await runtime.db.updateTable('network_nodes').set({ base_url: 'https://hub.example' }).where('id', '=', hubId).execute();
    await insertNode(runtime.db, { nodeKey: 'zweiter-hub', displayName: 'Zweiter', role: 'central_hub', baseUrl: 'https://hub2.example', owningCenterId: null, secretHash: null });
    checks = await readiness();
    assert.deepEqual([checks.hub_target_node?.ok, checks.hub_target_node?.detail], [false, 'expected exactly one active central_hub, found 2']);
    await runtime.db.updateTable('network_nodes').set({ is_active: false }).where('node_key', '=', 'zweiter-hub').execute();
    writeFileSync(key, 'key');
    checks = await readiness('/api/');
    assert.deepEqual(
      Object.values(checks).map((c) => [c.name, c.ok]),
      [
        ['hub_source_node', true],
        ['hub_target_node', true],
        ['hub_export_certificates', true],
      ],
    );
  });
});

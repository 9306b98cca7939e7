import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/helpers/engines.js';
import { configFrom, tempDataRoot } from '../../../test/helpers/env.js';
import { verifyPassword } from '../../features/auth/index.js';
import { NodesService } from '../../features/hub/index.js';
import { AuditLedger } from '../../features/audit/index.js';
import { runCli } from '../cli.js';

async function cli(args: string[], env: Record<string, string>): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), loadConfig: () => configFrom(env) });
  return { status, stdout, stderr };
}

for (const engine of ENGINES) {
  describe(`lx-annotate nodes on ${engine}`, () => {
    let t: TestDatabase;
    let env: Record<string, string>;
    let secretPath: string;
    const secret = 'a-long-node-secret-0123456789-xyz';
    before(async () => {
      t = await createTestDatabase(engine);
      const root = tempDataRoot();
      env = { DJANGO_ENV: 'test', DATA_DIR: root, ...t.env };
      secretPath = join(root, 'secret');
      writeFileSync(secretPath, `${secret}\n`, { mode: 0o600 });
      await t.db.insertInto('centers').values({ name: 'Klinik A', display_name: '', center_key: 'klinik-a', created_at: new Date().toISOString(), updated_at: new Date().toISOString() }).execute();
    });
    after(() => t.dispose());

    test('add with a secret from a file: stored only as a scrypt hash; argv cannot carry a secret', async () => {
      assert.equal((await cli(['nodes', 'add', '--display-name', 'Klinik A Süd', '--role', 'site_node', '--center', 'klinik-a', '--secret', secret], env)).status, 2);
      const added = await cli(['nodes', 'add', '--display-name', 'Klinik A Süd', '--role', 'site_node', '--center', 'klinik-a', '--secret-file', secretPath], env);
      assert.equal(added.status, 0, added.stderr);
      assert.match(added.stdout, /added node "klinik-a-sud" \(site_node, center klinik-a, secret set\)/);
      const again = await cli(['nodes', 'add', '--display-name', 'Klinik A Süd', '--role', 'site_node', '--center', 'klinik-a'], env);
      assert.match(again.stdout, /"klinik-a-sud-2"/, 'node keys are slugs with -2 suffixes');
      const row = await t.db.selectFrom('network_nodes').select('shared_secret_hash').where('node_key', '=', 'klinik-a-sud').executeTakeFirstOrThrow();
      assert.match(row.shared_secret_hash as string, /^scrypt\$/);
      assert.ok(!(row.shared_secret_hash as string).includes(secret));
      assert.equal(await verifyPassword(secret, row.shared_secret_hash), true);
      assert.equal((await cli(['nodes', 'add', '--display-name', 'Hub', '--role', 'central_hub', '--base-url', 'http://hub.example.org'], env)).status, 1, 'a hub needs https');
      const audit = await t.db.selectFrom('audit_ledger').select(['action', 'data']).where('action', '=', 'hub.node_added').execute();
      assert.equal(audit.length, 2);
      assert.ok(audit.every((a) => !a.data.includes(secret)));
    });

    test('set-secret, list and deactivate; a deactivated node fails authentication', async () => {
      const nodes = new NodesService(t.db, new AuditLedger(t.db));
      const node = await nodes.find('klinik-a-sud-2');
      assert.equal(await nodes.authenticate(node, 'klinik-a-sud-2', secret), 'missing_shared_secret_hash', 'no stored secret fails closed');
      assert.equal((await cli(['nodes', 'set-secret', 'klinik-a-sud-2'], env)).status, 2);
      assert.equal((await cli(['nodes', 'set-secret', 'klinik-a-sud-2', '--secret-file', secretPath], env)).status, 0);
      assert.equal(await nodes.authenticate(await nodes.find('klinik-a-sud-2'), 'klinik-a-sud-2', secret), undefined);
      assert.equal(await nodes.authenticate(await nodes.find('klinik-a-sud-2'), 'klinik-a-sud', secret), 'node_key_mismatch');
      assert.equal(await nodes.authenticate(await nodes.find('klinik-a-sud-2'), 'klinik-a-sud-2', `${secret}x`), 'shared_secret_mismatch');
      assert.equal((await cli(['nodes', 'deactivate', 'klinik-a-sud-2'], env)).status, 0);
      const listed = await cli(['nodes', 'list'], env);
      assert.match(listed.stdout, /klinik-a-sud-2\tsite_node\tinactive\tcenter=klinik-a\tsecret=set/);
      assert.equal(await nodes.authenticate(await nodes.find('klinik-a-sud-2'), 'klinik-a-sud-2', secret), 'unknown_or_inactive_source_node');
    });
  });
}

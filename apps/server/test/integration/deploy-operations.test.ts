import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { tempDataRoot } from '../helpers/env.js';
import { runCliProcess } from '../helpers/processes.js';

function masterKeyFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lx-key-')), 'master.key');
  writeFileSync(path, `${randomBytes(32).toString('base64url')}=\n`, { mode: 0o600 });
  return path;
}

describe('lx-annotate migrate-data-dir (the data recovery unit)', () => {
  test('merging twice: the first run copies with the guide log lines, the second copies nothing', () => {
    const legacy = join(mkdtempSync(join(tmpdir(), 'lx-legacy-')), 'data');
    mkdirSync(join(legacy, 'reports'), { recursive: true });
    mkdirSync(join(legacy, 'sensitive_reports'), { recursive: true });
    writeFileSync(join(legacy, 'reports', 'r.pdf'), 'report');
    writeFileSync(join(legacy, 'sensitive_reports', 's.pdf'), 'Name: Max Mustermann');
    const target = tempDataRoot();
    mkdirSync(join(target, 'sensitive_reports'));
    writeFileSync(join(target, 'sensitive_reports', 's.pdf'), 'already recovered');
    const env = { DJANGO_ENV: 'development', DATA_DIR: target, LX_ANNOTATE_MASTER_KEY_FILE: masterKeyFile() };

    const first = runCliProcess(['migrate-data-dir', legacy], env);
    assert.equal(first.status, 0, first.stderr);
    assert.ok(first.stdout.includes(`copying ${join(legacy, 'reports')} -> ${join(target, 'reports')}`), first.stdout);
    assert.ok(first.stdout.includes(`WARNING: destination already exists, skipping: ${join(target, 'sensitive_reports', 's.pdf')}`));
    assert.match(first.stdout, /migrate-data-dir: mode=merge copied=1 encrypted=0 skipped=1 .* manifest=\S+migration_staging\/manifests\/migrate-data-dir-\d{8}-\d{6}\.json/);

    const second = runCliProcess(['migrate-data-dir', legacy], env);
    assert.equal(second.status, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /^copying /m);
    assert.match(second.stdout, /copied=0 encrypted=0 skipped=2/);
  });

  test('usage and refusals: no argument is a usage error, a missing legacy root exits 1', () => {
    const env = { DJANGO_ENV: 'development', DATA_DIR: tempDataRoot() };
    assert.equal(runCliProcess(['migrate-data-dir'], env).status, 2);
    const missing = runCliProcess(['migrate-data-dir', '/nonexistent/legacy/data'], env);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /does not exist or is not a directory/);
  });
});

for (const engine of ENGINES) {
  describe(`lx-annotate check, serve, backup and restore as processes (${engine})`, () => {
    let t: TestDatabase;
    let env: Record<string, string>;
    before(async () => {
      t = await createTestDatabase(engine);
      env = { DJANGO_ENV: 'development', DATA_DIR: tempDataRoot(), LX_ANNOTATE_MASTER_KEY_FILE: masterKeyFile(), ...t.env };
      const migrate = runCliProcess(['migrate'], env);
      assert.equal(migrate.status, 0, migrate.stderr);
    });
    after(() => t.dispose());

    test('check --json: only JSON on stdout; exit 1 on a critical finding, which serve refuses to start on', () => {
      const ok = runCliProcess(['check', '--json'], env);
      const report = JSON.parse(ok.stdout) as { status: string };
      assert.equal(ok.status, report.status === 'ready' ? 0 : 1);
      const broken = { ...env, TESSDATA_PREFIX: mkdtempSync(join(tmpdir(), 'lx-no-tessdata-')) };
      const failing = runCliProcess(['check', '--json'], broken);
      assert.equal(failing.status, 1);
      const parsed = JSON.parse(failing.stdout) as { status: string; checks: Array<{ name: string; ok: boolean; severity: string }> };
      assert.equal(parsed.status, 'not_ready');
      assert.deepEqual(parsed.checks.filter((c) => !c.ok && c.severity === 'critical').map((c) => c.name), ['tessdata']);
      const serve = runCliProcess(['serve', '--port', '0'], broken);
      assert.equal(serve.status, 1);
      assert.match(serve.stderr, /refusing to start on 1 critical finding\(s\): tessdata: /);
    });

    test('backup, then restore --verify-only and restore --force', () => {
      const target = join(mkdtempSync(join(tmpdir(), 'lx-cli-backup-')), 'b');
      const backup = runCliProcess(['backup', target], env);
      assert.equal(backup.status, 0, backup.stderr);
      assert.match(backup.stdout, /backup verified: .* the master key is not part of it/);
      const verify = runCliProcess(['restore', target, '--verify-only'], env);
      assert.equal(verify.status, 0, verify.stderr);
      const refused = runCliProcess(['restore', target], env);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /pass --force/);
      const restore = runCliProcess(['restore', target, '--force'], env);
      assert.equal(restore.status, 0, restore.stderr);
      assert.match(restore.stdout, /next: lx-annotate migrate/);
      const after = runCliProcess(['migrate', '--status'], env);
      assert.equal(after.status, 0, after.stdout + after.stderr);
    });
  });
}

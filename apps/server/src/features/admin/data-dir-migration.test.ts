import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { decryptStream, Keyring, LXENC_MAGIC, MasterKey } from '../../adapters/storage/index.js';
import { isManagedPayload, migrateDataDir, MigrationRefused, type DataDirMigrationOptions } from './data-dir-migration.js';
import { rewriteEnvText } from './legacy-env.js';

const keyring = new Keyring(MasterKey.generate());
const OLD = new Date('2024-03-01T10:00:00Z');

function write(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  utimesSync(path, OLD, OLD);
}

/** A legacy repo checkout: <repo>/data plus <repo>/.env.systemd, and the new /var/lib/lx-annotate layout. */
function fixture() {
  const base = mkdtempSync(join(tmpdir(), 'lx-recovery-'));
  const source = join(base, 'repo', 'data');
  const state = join(base, 'var-lib-lx-annotate');
  const target = join(state, 'data');
  write(join(source, 'reports', 'r1.pdf'), 'legacy r1');
  write(join(source, 'reports', 'r2.pdf'), 'legacy r2');
  write(join(source, 'sensitive_reports', 'a.pdf'), 'legacy sensitive a');
  write(join(source, 'sensitive_reports', 'b.pdf'), 'Patient: Erika Mustermann, geb. 01.02.1950');
  write(join(source, 'documents', 'letter.txt'), 'Sehr geehrte Frau Mustermann');
  write(join(source, 'storage', 'uploads', '7', 'upload.bin'), Buffer.from([1, 2, 3, 4]));
  write(join(source, 'import', 'video_import', 'exam.mp4'), 'plain video for the watcher');
  write(join(source, 'storage', 'streamable_videos', 'raw', 'seg_000.ts'), 'plaintext for nginx');
  write(join(source, 'frames', 'db.lock'), 'lock');
  write(join(source, '.env.systemd'), 'DJANGO_SECRET_KEY=legacy-in-data-dir');
  symlinkSync('/etc/passwd', join(source, 'reports', 'escape.pdf'));
  // The new layout already has some of it.
  write(join(target, 'reports', 'r1.pdf'), 'current r1');
  write(join(target, 'sensitive_reports', 'a.pdf'), 'current sensitive a');
  return { base, source, state, target };
}

function run(options: Partial<DataDirMigrationOptions> & Pick<DataDirMigrationOptions, 'sourceRoot' | 'targetRoot'>) {
  const lines: string[] = [];
  const promise = migrateDataDir({ mode: 'merge', dryRun: false, keyring: async () => keyring, log: (l) => lines.push(l), ...options });
  return { lines, promise };
}

async function plaintextOf(path: string): Promise<string> {
  return Buffer.concat(await decryptStream(path, keyring).toArray()).toString();
}

describe('migrate-data-dir: merge (the data recovery unit)', () => {
  test('copies what the target lacks, keeps what it has, encrypts managed payloads, keeps the env file; a second run copies nothing', async () => {
    const { source, state, target } = fixture();
    write(join(state, '.env.systemd'), 'DJANGO_SECRET_KEY=current');
    const first = run({ sourceRoot: source, targetRoot: target });
    const result = await first.promise;

    // The guide's log lines.
    assert.ok(first.lines.includes(`copying ${join(source, 'reports', 'r2.pdf')} -> ${join(target, 'reports', 'r2.pdf')}`), first.lines.join('\n'));
    assert.ok(first.lines.includes(`copying ${join(source, 'documents')} -> ${join(target, 'documents')}`));
    assert.ok(first.lines.includes(`WARNING: destination already exists, skipping: ${join(target, 'reports', 'r1.pdf')}`));
    assert.ok(first.lines.includes(`WARNING: destination already exists, skipping: ${join(target, 'sensitive_reports', 'a.pdf')}`));
    assert.ok(first.lines.includes(`target env file already exists, leaving as source of truth: ${join(state, '.env.systemd')}`));

    assert.equal(readFileSync(join(target, 'reports', 'r1.pdf'), 'utf8'), 'current r1', 'an existing file is never replaced');
    assert.equal(readFileSync(join(target, 'reports', 'r2.pdf'), 'utf8'), 'legacy r2');
    assert.equal(readFileSync(join(state, '.env.systemd'), 'utf8'), 'DJANGO_SECRET_KEY=current');
    // Managed payloads land as LXENC01 and hold no plaintext; drop zones and streamable files stay plain.
    for (const [rel, plain] of [
      ['sensitive_reports/b.pdf', 'Patient: Erika Mustermann, geb. 01.02.1950'],
      ['documents/letter.txt', 'Sehr geehrte Frau Mustermann'],
    ] as const) {
      const raw = readFileSync(join(target, rel));
      assert.ok(raw.subarray(0, LXENC_MAGIC.length).equals(LXENC_MAGIC), `${rel} is encrypted`);
      assert.equal(raw.includes(Buffer.from('Mustermann')), false);
      assert.equal(await plaintextOf(join(target, rel)), plain);
      assert.equal(statSync(join(target, rel)).mode & 0o777, 0o600);
    }
    assert.deepEqual(Buffer.concat(await decryptStream(join(target, 'storage', 'uploads', '7', 'upload.bin'), keyring).toArray()), Buffer.from([1, 2, 3, 4]));
    assert.equal(readFileSync(join(target, 'import', 'video_import', 'exam.mp4'), 'utf8'), 'plain video for the watcher');
    assert.equal(readFileSync(join(target, 'storage', 'streamable_videos', 'raw', 'seg_000.ts'), 'utf8'), 'plaintext for nginx');
    assert.equal(statSync(join(target, 'reports', 'r2.pdf')).mtime.toISOString(), OLD.toISOString(), 'times are kept');
    // Never copied: links, lock files, the old deployment's env file.
    assert.equal(existsSync(join(target, 'reports', 'escape.pdf')), false);
    assert.equal(existsSync(join(target, 'frames', 'db.lock')), false);
    assert.equal(existsSync(join(target, '.env.systemd')), false);
    assert.deepEqual(result.skipped.map((s) => s.reason).sort(), ['destination_exists', 'destination_exists', 'lock_file', 'runtime_file', 'symlink']);
    assert.equal(result.migrated.length, 6);
    assert.equal(result.migrated.filter((m) => m.encrypted).length, 3);

    const marker = readFileSync(join(target, '.migration-complete'), 'utf8');
    assert.match(marker, /^mode=merge$/m);
    assert.match(marker, new RegExp(`^source_repo=${dirname(source)}$`, 'm'));
    const manifest = JSON.parse(readFileSync(result.manifestPath as string, 'utf8')) as { command: string; migrated_entries: unknown[]; skipped_entries: unknown[] };
    assert.equal(manifest.command, 'migrate-data-dir');
    assert.equal(manifest.migrated_entries.length, 6);
    assert.equal(manifest.skipped_entries.length, 5);
    assert.ok(!JSON.stringify(manifest).includes('Mustermann'), 'the manifest names files, never their content');

    const second = run({ sourceRoot: source, targetRoot: target });
    const again = await second.promise;
    assert.equal(again.migrated.length, 0);
    assert.equal(second.lines.filter((l) => l.startsWith('copying ')).length, 0, second.lines.join('\n'));
    assert.ok(second.lines.filter((l) => l.startsWith('WARNING: destination already exists, skipping: ')).length >= 8);
    assert.equal(readFileSync(join(source, 'sensitive_reports', 'b.pdf'), 'utf8'), 'Patient: Erika Mustermann, geb. 01.02.1950', 'the source is left alone');
  });

  test('a dry run writes nothing and needs no key', async () => {
    const { source, target } = fixture();
    const before = readdirSync(target, { recursive: true }).sort();
    const { promise } = run({ sourceRoot: source, targetRoot: target, dryRun: true, keyring: () => Promise.reject(new Error('no key in a dry run')) });
    const result = await promise;
    assert.equal(result.migrated.length, 6);
    assert.equal(result.manifestPath, undefined);
    assert.deepEqual(readdirSync(target, { recursive: true }).sort(), before);
  });

  test('without a target env file the legacy one is written with the new paths, other lines verbatim, 0600', async () => {
    const { source, state, target } = fixture();
    write(join(dirname(source), '.env.systemd'), '# legacy\nexport DATA_DIR=/opt/repo/data\nDJANGO_SECRET_KEY="s3cr3t value"\n');
    const result = await run({ sourceRoot: source, targetRoot: target }).promise;
    assert.equal(result.envFile.action, 'rewritten-from-legacy');
    const text = readFileSync(join(state, '.env.systemd'), 'utf8');
    assert.match(text, new RegExp(`^DATA_DIR=${target}$`, 'm'));
    assert.match(text, new RegExp(`^LX_ANNOTATE_ENCRYPTED_DATA_DIR=${target}$`, 'm'));
    assert.match(text, new RegExp(`^STORAGE_DIR=${join(target, 'storage')}$`, 'm'));
    assert.match(text, /^DJANGO_SECRET_KEY="s3cr3t value"$/m);
    assert.equal(statSync(join(state, '.env.systemd')).mode & 0o777, 0o600);
    assert.equal(rewriteEnvText('A=1\n', '/x y/data').includes('DATA_DIR="/x y/data"'), true);
  });

  test('refusals change nothing: overlapping trees, a missing source, a key that cannot load', async () => {
    const { source, target } = fixture();
    await assert.rejects(run({ sourceRoot: source, targetRoot: join(source, 'inner') }).promise, MigrationRefused);
    await assert.rejects(run({ sourceRoot: join(source, 'missing'), targetRoot: target }).promise, MigrationRefused);
    const before = readdirSync(target, { recursive: true }).sort();
    await assert.rejects(run({ sourceRoot: source, targetRoot: target, keyring: () => Promise.reject(new Error('LX_ANNOTATE_MASTER_KEY: no value')) }).promise, /no value/);
    assert.deepEqual(readdirSync(target, { recursive: true }).sort(), before);
  });

  test('managed payload roots', () => {
    for (const yes of ['documents/a', 'sensitive_videos/v.mp4', 'processed_reports_final/r.pdf', 'uploads/1/x', 'storage/sensitive_reports/a.pdf', 'model_weights/w.onnx']) assert.equal(isManagedPayload(yes), true, yes);
    for (const no of ['documents', 'import/video_import/v.mp4', 'streamable_videos/raw/s.ts', 'storage/streamable_videos/raw/s.ts', 'reports/r.pdf', 'storage/documents']) assert.equal(isManagedPayload(no), false, no);
  });
});

describe('migrate-data-dir: full mode', () => {
  test('refuses a target that holds data; otherwise moves the source to a backup and copies from it', async () => {
    const { base, source, target } = fixture();
    await assert.rejects(run({ sourceRoot: source, targetRoot: target, mode: 'full' }).promise, /already contains data; use --merge/);
    const empty = join(base, 'fresh', 'data');
    mkdirSync(empty, { recursive: true });
    const result = await run({ sourceRoot: source, targetRoot: empty, mode: 'full' }).promise;
    assert.equal(existsSync(source), false);
    assert.match(result.sourceBackup ?? '', /\/data\.migration-backup-\d{8}-\d{6}$/);
    assert.equal(readFileSync(join(result.sourceBackup as string, 'reports', 'r2.pdf'), 'utf8'), 'legacy r2');
    assert.equal(readFileSync(join(empty, 'reports', 'r2.pdf'), 'utf8'), 'legacy r2');
    const marker = readFileSync(join(empty, '.migration-complete'), 'utf8');
    assert.match(marker, new RegExp(`^source_backup=${result.sourceBackup}$`, 'm'));
    assert.match(marker, new RegExp(`^source_repo=${dirname(source)}$`, 'm'));
  });

  test('a failure mid-copy moves the partial target aside and restores the source', async (t) => {
    const { base, source } = fixture();
    const target = join(base, 'fresh', 'data');
    // An existing empty directory of the target that refuses new entries: immutable for root, read-only otherwise.
    const blocked = join(target, 'sensitive_reports');
    mkdirSync(blocked, { recursive: true });
    const root = process.getuid?.() === 0;
    const lock = root ? spawnSync('chattr', ['+i', blocked]) : spawnSync('chmod', ['0555', blocked]);
    if (lock.status !== 0) {
      t.skip(`cannot make a directory unwritable here (${root ? 'chattr +i unsupported' : 'chmod failed'})`);
      return;
    }
    try {
      await assert.rejects(run({ sourceRoot: source, targetRoot: target, mode: 'full' }).promise);
    } finally {
      const failedDir = readdirSync(join(base, 'fresh')).find((n) => n.startsWith('data.failed-migration-'));
      if (failedDir) spawnSync(root ? 'chattr' : 'chmod', root ? ['-i', join(base, 'fresh', failedDir, 'sensitive_reports')] : ['0755', join(base, 'fresh', failedDir, 'sensitive_reports')]);
    }
    assert.equal(readFileSync(join(source, 'reports', 'r2.pdf'), 'utf8'), 'legacy r2', 'the source is back');
    assert.equal(readdirSync(dirname(source)).some((n) => n.includes('migration-backup')), false);
    assert.ok(readdirSync(join(base, 'fresh')).some((n) => n.startsWith('data.failed-migration-')));
    assert.deepEqual(readdirSync(target), [], 'an empty target is left for the next attempt');
  });
});

import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/helpers/engines.js';
import { configFrom, tempDataRoot } from '../../../test/helpers/env.js';
import { Keyring, LXENC_MAGIC, MasterKey, StorageService } from '../../adapters/storage/index.js';
import type { Settings } from '../../config/index.js';
import { createDatabase, nowIso } from '../../db/index.js';
import { BackupInvalid, createBackup, OperationRefused, restoreBackup, verifyBackup } from './backup.js';
import { hashFile } from './file-copy.js';
import { ensureRuntimeDirectories } from './runtime-dirs.js';

const TOOL_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const keyring = new Keyring(MasterKey.generate());

async function centerKeys(settings: Settings): Promise<string[]> {
  const db = createDatabase(settings.database);
  try {
    return (await db.selectFrom('centers').select('center_key').orderBy('center_key').execute()).map((r) => r.center_key);
  } finally {
    await db.destroy();
  }
}

async function addCenter(settings: Settings, key: string): Promise<void> {
  const db = createDatabase(settings.database);
  try {
    await db.insertInto('centers').values({ name: key, display_name: key, center_key: key, created_at: nowIso(), updated_at: nowIso() }).execute();
  } finally {
    await db.destroy();
  }
}

for (const engine of ENGINES) {
  describe(`backup and restore (${engine})`, () => {
    let t: TestDatabase;
    let settings: Settings;
    let storage: StorageService;
    let backupDir: string;
    const work = mkdtempSync(join(tmpdir(), 'lx-backup-test-'));

    before(async () => {
      t = await createTestDatabase(engine);
      settings = configFrom({ DJANGO_ENV: 'test', DATA_DIR: tempDataRoot(), ...t.env }).settings;
      await ensureRuntimeDirectories(settings);
      storage = new StorageService({ root: settings.paths.storageDir, keyring });
      await addCenter(settings, 'center-a');
      await storage.write('documents/7/report.pdf', Readable.from([Buffer.from('Befund: Erika Mustermann')]));
      await storage.writePlaintext('streamable_videos/processed/hls/v1/seg_000.ts', Readable.from([Buffer.from('segment bytes')]));
      backupDir = join(work, 'backup-1');
    });
    after(() => t.dispose());

    test('a consistent snapshot of database and storage with a verified manifest; payloads stay encrypted', async () => {
      const summary = await createBackup({ settings, targetDir: backupDir, version: 'test', toolEnv: TOOL_ENV });
      assert.equal(summary.files, 3);
      const manifest = await verifyBackup(backupDir);
      assert.equal(manifest.engine, engine);
      assert.deepEqual(manifest.storage?.files.map((f) => f.path).sort(), ['documents/7/report.pdf', 'streamable_videos/processed/hls/v1/seg_000.ts']);
      for (const file of manifest.storage?.files ?? []) {
        const actual = await hashFile(join(backupDir, 'storage', file.path));
        assert.equal(actual.sha256Hex, file.sha256);
      }
      const copied = readFileSync(join(backupDir, 'storage', 'documents', '7', 'report.pdf'));
      assert.ok(copied.subarray(0, LXENC_MAGIC.length).equals(LXENC_MAGIC));
      assert.equal(copied.includes(Buffer.from('Mustermann')), false);
      assert.equal(readdirSync(backupDir).some((n) => /key/i.test(n)), false, 'no key material in a backup');
      await assert.rejects(createBackup({ settings, targetDir: backupDir, version: 'test', toolEnv: TOOL_ENV }), OperationRefused);
    });

    test('restore verifies first: a tampered or padded backup changes nothing; live data needs --force', async () => {
      await addCenter(settings, 'center-b');
      await storage.delete('documents/7/report.pdf');
      await storage.write('documents/8/new.pdf', Readable.from([Buffer.from('after the backup')]));

      const tampered = join(work, 'tampered');
      cpSync(backupDir, tampered, { recursive: true });
      const segment = join(tampered, 'storage', 'streamable_videos', 'processed', 'hls', 'v1', 'seg_000.ts');
      writeFileSync(segment, 'segment bytez');
      await assert.rejects(restoreBackup({ settings, backupDir: tampered, force: true, databaseInUse: true, toolEnv: TOOL_ENV }), (error: unknown) => {
        assert.ok(error instanceof BackupInvalid);
        assert.match(error.message, /seg_000\.ts: content differs from the manifest/);
        return true;
      });
      const padded = join(work, 'padded');
      cpSync(backupDir, padded, { recursive: true });
      writeFileSync(join(padded, 'storage', 'planted.pdf'), 'not from this backup');
      await assert.rejects(restoreBackup({ settings, backupDir: padded, force: true, databaseInUse: true, toolEnv: TOOL_ENV }), /planted\.pdf: not in the manifest/);
      const interrupted = join(work, 'interrupted');
      cpSync(backupDir, interrupted, { recursive: true });
      rmSync(join(interrupted, 'manifest.json'));
      await assert.rejects(verifyBackup(interrupted), /manifest\.json is missing/);

      await assert.rejects(restoreBackup({ settings, backupDir, force: false, databaseInUse: true, toolEnv: TOOL_ENV }), /pass --force/);
      assert.deepEqual(await centerKeys(settings), ['center-a', 'center-b'], 'nothing was restored');
      assert.ok(await storage.exists('documents/8/new.pdf'));
    });

    test('restore --force puts database and storage back as they were; the replaced data is moved aside', async () => {
      const summary = await restoreBackup({ settings, backupDir, force: true, databaseInUse: true, toolEnv: TOOL_ENV });
      assert.deepEqual(await centerKeys(settings), ['center-a']);
      const restored = new StorageService({ root: settings.paths.storageDir, keyring });
      assert.equal(Buffer.concat(await (await restored.read('documents/7/report.pdf')).toArray()).toString(), 'Befund: Erika Mustermann');
      assert.equal(await restored.exists('documents/8/new.pdf'), false);
      assert.equal(Buffer.concat(await (await restored.read('streamable_videos/processed/hls/v1/seg_000.ts')).toArray()).toString(), 'segment bytes');
      const asideStorage = summary.movedAside.find((p) => p.startsWith(`${settings.paths.storageDir}.pre-restore-`));
      assert.ok(asideStorage && existsSync(join(asideStorage, 'documents', '8', 'new.pdf')), 'the replaced tree is kept');
      if (engine === 'sqlite') assert.ok(summary.movedAside.some((p) => p.startsWith(`${(settings.database as { file: string }).file}.pre-restore-`)));
      assert.equal(readdirSync(dirname(settings.paths.storageDir)).some((n) => n.includes('.incoming-')), false, 'no staging left behind');
    });
  });
}

import assert from 'node:assert/strict';
import { chmod, chown, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { Keyring, MasterKey } from './keys.js';
import { keyIdOfFile } from './lxenc-file.js';
import { decryptStream } from './lxenc-stream.js';
import { repairManagedPayloads, rotateStorageKeys, verifyEncryptedStorage } from './maintenance.js';
import { walkManagedFiles } from './managed-walk.js';
import { StorageService } from './storage-service.js';
import { collect, patternBytes, rejectsLxenc, tempDir } from './testdata/support.js';

type T = Parameters<typeof tempDir>[0];

async function storageAt(t: T, keyring = new Keyring(MasterKey.generate())): Promise<{ storage: StorageService; root: string }> {
  const root = join(await tempDir(t), 'storage');
  await mkdir(root);
  return { storage: new StorageService({ root, keyring, chunkSize: 1000 }), root };
}

async function put(root: string, relativePath: string, content: string | Buffer, mode = 0o640): Promise<void> {
  const path = join(root, relativePath);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  await chmod(path, mode);
}

describe('walkManagedFiles', () => {
  it('skips symlinks, unmanaged directories, hidden and temporary names and excluded roots', async (t) => {
    const { root } = await storageAt(t);
    for (const path of [
      'reports/a.pdf',
      'videos/raw/v.mp4',
      'streamable_videos/processed/s.mp4',
      'x/_processing/p.bin',
      'transcoding/t.mp4',
      '.lx-annotate-rsync-partial/r.bin',
      'reports/.hidden',
      'reports/~lock',
      'reports/partial.tmp',
      'custom_stream/s.mp4',
    ]) {
      await put(root, path, 'x');
    }
    await symlink(join(root, 'reports/a.pdf'), join(root, 'reports/link.pdf'));
    const skipped: string[] = [];
    const files: string[] = [];
    for await (const file of walkManagedFiles(root, root, { excludeRoots: [join(root, 'custom_stream')], onSkip: (p, r) => skipped.push(`${p}:${r}`) })) files.push(file.relativePath);
    assert.deepEqual(files, ['reports/a.pdf', 'videos/raw/v.mp4']);
    assert.deepEqual(skipped.sort(), [
      '.lx-annotate-rsync-partial:unmanaged-directory',
      'custom_stream:excluded-root',
      'reports/.hidden:hidden-or-temporary',
      'reports/link.pdf:symlink',
      'reports/partial.tmp:hidden-or-temporary',
      'reports/~lock:hidden-or-temporary',
      'streamable_videos:unmanaged-directory',
      'transcoding:unmanaged-directory',
      'x/_processing:unmanaged-directory',
    ]);
    const everything: string[] = [];
    for await (const file of walkManagedFiles(root, root, { scope: 'everything', excludeRoots: [join(root, 'custom_stream')] })) everything.push(file.relativePath);
    assert.deepEqual(everything, [
      'custom_stream/s.mp4',
      'reports/.hidden',
      'reports/a.pdf',
      'reports/~lock',
      'streamable_videos/processed/s.mp4',
      'transcoding/t.mp4',
      'videos/raw/v.mp4',
      'x/_processing/p.bin',
    ]);
  });
});

describe('repairManagedPayloads', () => {
  it('encrypts plaintext payloads in place keeping their mode, validates encrypted ones, and lists only on dry run', async (t) => {
    const { storage, root } = await storageAt(t);
    const report = patternBytes(2500, 1);
    await put(root, 'reports/r1.pdf', report, 0o640);
    await put(root, 'uploads/u.bin', 'upload', 0o600);
    await put(root, 'streamable_videos/v.mp4', 'stream');
    await storage.write('documents/d.txt', Readable.from([Buffer.from('already')]));

    const listed: string[] = [];
    const dry = await repairManagedPayloads(storage, { dryRun: true, onRepaired: (p) => listed.push(p) });
    assert.deepEqual(listed, ['reports/r1.pdf', 'uploads/u.bin']);
    assert.deepEqual(dry, { repaired: 2, alreadyEncrypted: 1, skipped: 1, root });
    assert.ok((await readFile(join(root, 'reports/r1.pdf'))).equals(report), 'dry run changes nothing');

    const summary = await repairManagedPayloads(storage);
    assert.deepEqual(summary, { repaired: 2, alreadyEncrypted: 1, skipped: 1, root });
    const raw = await readFile(join(root, 'reports/r1.pdf'));
    assert.equal(raw.subarray(0, 8).toString('latin1'), 'LXENC01\n');
    assert.ok(!raw.includes(report.subarray(0, 64)));
    assert.deepEqual(await collect(await storage.read('reports/r1.pdf')), report);
    assert.equal((await stat(join(root, 'reports/r1.pdf'))).mode & 0o777, 0o640, 'mode kept');
    assert.equal((await stat(join(root, 'uploads/u.bin'))).mode & 0o777, 0o600, 'mode kept');
    assert.equal(await readFile(join(root, 'streamable_videos/v.mp4'), 'utf8'), 'stream', 'nginx files stay plaintext');
    assert.deepEqual(await readdir(join(root, 'reports')), ['r1.pdf'], 'no temp file left');
    assert.deepEqual(await repairManagedPayloads(storage), { repaired: 0, alreadyEncrypted: 3, skipped: 1, root }, 'idempotent');
  });

  it('keeps the owner of files it rewrites when run as root', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('changing ownership needs root');
      return;
    }
    const { storage, root } = await storageAt(t);
    await put(root, 'r.pdf', 'plain');
    await chown(join(root, 'r.pdf'), 4321, 4322);
    await repairManagedPayloads(storage);
    const after = await stat(join(root, 'r.pdf'));
    assert.deepEqual([after.uid, after.gid], [4321, 4322]);
  });

  it('aborts on a corrupt encrypted file, and refuses prefixes outside the root', async (t) => {
    const { storage, root } = await storageAt(t);
    await storage.write('a/ok.bin', Readable.from([patternBytes(3000, 2)]));
    const raw = await readFile(join(root, 'a/ok.bin'));
    await put(root, 'b/cut.bin', raw.subarray(0, raw.length - 100));
    await put(root, 'c/plain.txt', 'plain');
    await rejectsLxenc(repairManagedPayloads(storage), 'truncated');
    assert.equal(await readFile(join(root, 'c/plain.txt'), 'utf8'), 'plain', 'nothing after the corrupt file was touched');
    assert.equal((await repairManagedPayloads(storage, { pathPrefix: 'c' })).repaired, 1, 'a prefix limits the walk');
    await assert.rejects(repairManagedPayloads(storage, { pathPrefix: '../' }), /escapes the storage root/);
  });
});

describe('rotateStorageKeys', () => {
  it('re-encrypts files under retiring keys with the active key, keeping chunk size, mode and content', async (t) => {
    const oldKey = MasterKey.generate();
    const { storage: before, root } = await storageAt(t, new Keyring(oldKey));
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < 5; i += 1) {
      const data = patternBytes(1500 + i * 700, i + 10);
      contents.set(`case-${i}/media.bin`, data);
      await before.write(`case-${i}/media.bin`, Readable.from([data]));
    }
    await chmod(join(root, 'case-0/media.bin'), 0o640);
    await put(root, 'streamable_videos/v.mp4', 'plain');
    const newKey = MasterKey.generate();
    const storage = new StorageService({ root, keyring: new Keyring(newKey, [oldKey]) });
    await storage.write('fresh.bin', Readable.from([Buffer.from('new')]));

    const wouldRotate: string[] = [];
    const dry = await rotateStorageKeys(storage, { dryRun: true, onEvent: (e) => wouldRotate.push(e.relativePath) });
    assert.equal(dry.rotated, 5);
    assert.equal(wouldRotate.length, 5);
    assert.equal(await keyIdOfFile(join(root, 'case-0/media.bin'), storage.keyring), oldKey.id, 'dry run changes nothing');

    const summary = await rotateStorageKeys(storage);
    assert.deepEqual({ ...summary, root: undefined }, { rotated: 5, alreadyActive: 1, plaintext: 1, changed: 0, failed: 0, staleTempFiles: 0, activeKeyId: newKey.id, root: undefined });
    for (const [path, data] of contents) {
      assert.equal(await keyIdOfFile(join(root, path), storage.keyring), newKey.id);
      // readable without the old key now
      assert.deepEqual(await collect(decryptStream(join(root, path), new Keyring(newKey))), data);
      const raw = await readFile(join(root, path));
      assert.equal(JSON.parse(raw.subarray(12, 12 + raw.readUInt32BE(8)).toString()).chunk_size, 1000, 'chunk size kept');
    }
    assert.equal((await stat(join(root, 'case-0/media.bin'))).mode & 0o777, 0o640);
    const again = await rotateStorageKeys(storage);
    assert.equal(again.rotated, 0);
    assert.equal(again.alreadyActive, 6);
  });

  it('reports files no key opens and corrupt files, leaving them untouched, and counts stale temp files', async (t) => {
    const oldKey = MasterKey.generate();
    const { storage: before, root } = await storageAt(t, new Keyring(oldKey));
    const data = patternBytes(5000, 3);
    await before.write('damaged.bin', Readable.from([data]));
    const raw = await readFile(join(root, 'damaged.bin'));
    const damaged = Buffer.from(raw);
    damaged[raw.length - 30] = (damaged[raw.length - 30] ?? 0) ^ 1;
    await writeFile(join(root, 'damaged.bin'), damaged);
    await new StorageService({ root, keyring: new Keyring(MasterKey.generate()) }).write('foreign.bin', Readable.from([data]));
    await before.write('good.bin', Readable.from([data]));
    await put(root, '.good.bin.0123456789abcdef.tmp', 'leftover');
    const events: string[] = [];
    const storage = new StorageService({ root, keyring: new Keyring(MasterKey.generate(), [oldKey]) });
    const summary = await rotateStorageKeys(storage, { onEvent: (e) => events.push(`${e.kind}:${e.relativePath}`) });
    assert.deepEqual(events, ['failed:damaged.bin', 'failed:foreign.bin', 'rotated:good.bin']);
    assert.equal(summary.failed, 2);
    assert.equal(summary.staleTempFiles, 1);
    assert.ok((await readFile(join(root, 'damaged.bin'))).equals(damaged), 'a failed file keeps its bytes');
    assert.deepEqual((await readdir(root)).sort(), ['.good.bin.0123456789abcdef.tmp', 'damaged.bin', 'foreign.bin', 'good.bin']);
  });

  it('leaves a file that a concurrent writer replaced meanwhile as that writer made it; a re-run rotates it', async (t) => {
    const oldKey = MasterKey.generate();
    const { storage: before, root } = await storageAt(t, new Keyring(oldKey));
    await before.write('a.bin', Readable.from([Buffer.from('first')]));
    await before.write('b.bin', Readable.from([Buffer.from('stale content')]));
    const storage = new StorageService({ root, keyring: new Keyring(MasterKey.generate(), [oldKey]) });
    const events: string[] = [];
    const summary = await rotateStorageKeys(storage, {
      onEvent: (e) => events.push(`${e.kind}:${e.relativePath}`),
      beforeReplace: async (path) => {
        if (path === 'b.bin') await before.write('b.bin', Readable.from([Buffer.from('concurrent update')]));
      },
    });
    assert.deepEqual(events, ['rotated:a.bin', 'changed:b.bin']);
    assert.equal(summary.changed, 1);
    assert.equal((await collect(await storage.read('b.bin'))).toString(), 'concurrent update', 'the newer content survives');
    assert.deepEqual((await readdir(root)).sort(), ['a.bin', 'b.bin'], 'the abandoned replacement was removed');
    const again = await rotateStorageKeys(storage);
    assert.equal(again.rotated, 1);
    assert.equal((await collect(await storage.read('b.bin'))).toString(), 'concurrent update');
    assert.equal(await storage.keyIdOf('b.bin'), storage.keyring.active.id);
  });
});

describe('verifyEncryptedStorage', () => {
  it('writes, reads back and inspects a probe, removing it unless kept', async (t) => {
    const { storage, root } = await storageAt(t);
    const result = await verifyEncryptedStorage(storage);
    assert.match(result.relativePath, /^_health\/encryption\/probe-[0-9a-f-]{36}\.txt$/);
    assert.equal(result.absolutePath, join(root, result.relativePath));
    assert.deepEqual(await readdir(join(root, '_health/encryption')), []);
    const kept = await verifyEncryptedStorage(storage, { pathPrefix: 'custom/probe', keep: true });
    assert.equal(kept.kept, true);
    const raw = await readFile(kept.absolutePath);
    assert.equal(raw.subarray(0, 8).toString('latin1'), 'LXENC01\n');
    assert.equal((await collect(await storage.read(kept.relativePath))).toString(), `lx-annotate-encryption-probe:${/probe-(.*)\.txt$/.exec(kept.relativePath)?.[1]}`);
    await assert.rejects(verifyEncryptedStorage(storage, { pathPrefix: '../elsewhere' }), /escapes the storage root/);
  });
});

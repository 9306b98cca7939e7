import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { LxencError, StoragePathError } from './errors.js';
import { Keyring, MasterKey } from './keys.js';
import { StorageService } from './storage-service.js';
import { collect, failingAfter, oddPieces, parseLayout, patternBytes, rejectsLxenc, tempDir } from './testdata/support.js';

async function service(t: Parameters<typeof tempDir>[0], chunkSize = 1000): Promise<{ storage: StorageService; root: string; outside: string }> {
  const base = await tempDir(t);
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(join(outside, 'secret.txt'), 'outside the root');
  return { storage: new StorageService({ root, keyring: new Keyring(MasterKey.generate()), chunkSize }), root, outside };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function allFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

describe('StorageService', () => {
  it('writes encrypted files atomically and reads them back whole, by range and by size', async (t) => {
    const { storage, root } = await service(t);
    const data = patternBytes(5555, 8);
    const stored = await storage.write('videos/2024/case-1.mp4', oddPieces(data, 333));
    assert.deepEqual(stored, { relativePath: 'videos/2024/case-1.mp4', plaintextBytes: 5555, sha256Hex: sha256(data) });
    const raw = await readFile(join(root, 'videos/2024/case-1.mp4'));
    assert.deepEqual(parseLayout(raw).chunkLengths, [1016, 1016, 1016, 1016, 1016, 571]);
    assert.equal((await stat(join(root, 'videos/2024/case-1.mp4'))).mode & 0o777, 0o600);
    assert.deepEqual(await collect(await storage.read('videos/2024/case-1.mp4')), data);
    assert.deepEqual(await collect(await storage.readRange('videos/2024/case-1.mp4', 999, 2001)), data.subarray(999, 2002));
    assert.equal(await storage.size('videos/2024/case-1.mp4'), 5555);
    assert.equal(await storage.isEncrypted('videos/2024/case-1.mp4'), true);
    assert.equal(await storage.keyIdOf('videos/2024/case-1.mp4'), storage.keyring.active.id);
    assert.equal(await storage.exists('videos/2024/case-1.mp4'), true);
    assert.equal(await storage.exists('videos/2024/other.mp4'), false);
    assert.equal(await storage.exists('videos/2024'), false, 'directories are not files');
    assert.equal(await storage.delete('videos/2024/case-1.mp4'), true);
    assert.equal(await storage.delete('videos/2024/case-1.mp4'), false);
    assert.equal(await storage.exists('videos/2024/case-1.mp4'), false);
  });

  it('writes plaintext files atomically (for nginx) and reads them transparently', async (t) => {
    const { storage, root } = await service(t);
    const data = patternBytes(3_000_000, 2);
    const stored = await storage.writePlaintext('stream/v.mp4', Readable.from([data.subarray(0, 10), data.subarray(10)]));
    assert.deepEqual(stored, { relativePath: 'stream/v.mp4', plaintextBytes: data.length, sha256Hex: sha256(data) });
    assert.ok((await readFile(join(root, 'stream/v.mp4'))).equals(data));
    assert.equal((await stat(join(root, 'stream/v.mp4'))).mode & 0o777, 0o640);
    assert.equal(await storage.isEncrypted('stream/v.mp4'), false);
    assert.equal(await storage.keyIdOf('stream/v.mp4'), undefined);
    assert.equal(await storage.size('stream/v.mp4'), data.length);
    assert.ok((await collect(await storage.read('stream/v.mp4'))).equals(data));
    assert.ok((await collect(await storage.readRange('stream/v.mp4', 5, 1_500_000))).equals(data.subarray(5, 1_500_001)));
    await rejectsLxenc(storage.readRange('stream/v.mp4', 0, data.length), 'bad_range');
  });

  it('a source failing mid-way leaves neither a temp file nor a final file, and keeps an older version', async (t) => {
    const { storage, root } = await service(t);
    await assert.rejects(storage.write('a/new.bin', failingAfter(patternBytes(4000, 1))), /source broke/);
    await assert.rejects(storage.writePlaintext('a/new-plain.bin', failingAfter(patternBytes(4000, 1))), /source broke/);
    assert.deepEqual(await allFiles(root), ['a']);

    const old = patternBytes(1500, 3);
    await storage.write('a/existing.bin', Readable.from([old]));
    const before = await readFile(join(root, 'a/existing.bin'));
    await assert.rejects(storage.write('a/existing.bin', failingAfter(patternBytes(4000, 4))), /source broke/);
    await assert.rejects(storage.writePlaintext('a/existing.bin', failingAfter(patternBytes(4000, 4))), /source broke/);
    assert.deepEqual(await allFiles(root), ['a', 'a/existing.bin']);
    assert.deepEqual(await readFile(join(root, 'a/existing.bin')), before);
    assert.deepEqual(await collect(await storage.read('a/existing.bin')), old);
  });

  it('rejects paths that escape the root', async (t) => {
    const { storage, root, outside } = await service(t);
    await symlink(outside, join(root, 'link-dir'));
    await symlink(join(outside, 'secret.txt'), join(root, 'link-file'));
    await symlink(join(outside, 'not-yet'), join(root, 'dangling'));
    const bad = ['../x', '/etc/passwd', 'a/../../x', 'a\0b', '', '.', 'a/..', 'link-dir/secret.txt', 'link-dir/new.bin', 'link-file', 'dangling', 'dangling/x'];
    for (const path of bad) {
      await assert.rejects(storage.resolve(path), (e: unknown) => e instanceof StoragePathError, JSON.stringify(path));
      await assert.rejects(storage.write(path, Readable.from([Buffer.from('x')])), (e: unknown) => e instanceof StoragePathError);
      await assert.rejects(storage.read(path), (e: unknown) => e instanceof StoragePathError);
    }
    assert.equal(await readFile(join(outside, 'secret.txt'), 'utf8'), 'outside the root');
    assert.deepEqual(await readdir(outside), ['secret.txt']);
  });

  it('allows paths and symlinks that stay inside the root', async (t) => {
    const { storage, root } = await service(t);
    await mkdir(join(root, 'real'));
    await symlink(join(root, 'real'), join(root, 'alias'));
    assert.equal(await storage.resolve('a/../b.bin'), join(root, 'b.bin'));
    assert.equal(await storage.resolve('./x//y.bin'), join(root, 'x/y.bin'));
    const stored = await storage.write('alias/f.bin', Readable.from([Buffer.from('inside')]));
    assert.equal(stored.relativePath, 'alias/f.bin');
    assert.deepEqual(await collect(await storage.read('real/f.bin')), Buffer.from('inside'));
  });

  it('works when the root itself is reached through a symlink', async (t) => {
    const { root } = await service(t);
    const viaLink = `${root}-link`;
    await symlink(root, viaLink);
    t.after(async () => void (await import('node:fs/promises')).rm(viaLink, { force: true }));
    const storage = new StorageService({ root: viaLink, keyring: new Keyring(MasterKey.generate()) });
    await storage.write('x/y.bin', Readable.from([Buffer.from('data')]));
    assert.deepEqual(await collect(await storage.read('x/y.bin')), Buffer.from('data'));
  });

  it('rejects undecryptable or missing files before streaming', async (t) => {
    const { storage, root } = await service(t);
    await storage.write('f.bin', Readable.from([patternBytes(3000, 1)]));
    const other = new StorageService({ root, keyring: new Keyring(MasterKey.generate()) });
    await rejectsLxenc(other.read('f.bin'), 'wrong_key');
    await rejectsLxenc(other.readRange('f.bin', 0, 1), 'wrong_key');
    await assert.rejects(storage.read('missing.bin'), { code: 'ENOENT' });
    await assert.rejects(storage.size('missing.bin'), { code: 'ENOENT' });
    const raw = await readFile(join(root, 'f.bin'));
    await writeFile(join(root, 'f.bin'), raw.subarray(0, raw.length - 10));
    await assert.rejects(storage.read('f.bin'), (e: unknown) => e instanceof LxencError && e.code === 'truncated');
    await assert.rejects(storage.size('f.bin'), (e: unknown) => e instanceof LxencError && e.code === 'truncated');
  });
});

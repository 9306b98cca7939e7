import assert from 'node:assert/strict';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { LxencError, StoragePathError } from './errors.js';
import { Keyring, MasterKey } from './keys.js';
import { PayloadReader } from './payload-reader.js';
import { StorageService } from './storage-service.js';
import { collect, patternBytes, tempDir } from './testdata/support.js';

const MIB = 1024 * 1024;

describe('PayloadReader', () => {
  it('opens plaintext and LXENC01 files, reports plaintext sizes and streams ranges with the requested buffer size', async (t) => {
    const root = await tempDir(t);
    const keyring = new Keyring(MasterKey.generate());
    const data = patternBytes(3 * MIB + 5, 4);
    await new StorageService({ root, keyring }).write('enc.bin', Readable.from([data]));
    await writeFile(join(root, 'plain.bin'), data);
    let keyringAsked = 0;
    const reader = new PayloadReader(root, async () => {
      keyringAsked += 1;
      return keyring;
    });
    const plain = await reader.open('plain.bin');
    assert.deepEqual([plain.encrypted, plain.size, keyringAsked], [false, data.length, 0], 'no key needed for plaintext');
    const plainStream = plain.stream(MIB - 3, 2 * MIB + 7, { highWaterMarkBytes: MIB });
    assert.equal(plainStream.readableHighWaterMark, MIB);
    assert.deepEqual(await collect(plainStream), data.subarray(MIB - 3, 2 * MIB + 8));
    assert.throws(() => plain.stream(0, 1), /already taken/);

    const enc = await reader.open('enc.bin');
    assert.deepEqual([enc.encrypted, enc.size, keyringAsked], [true, data.length, 1]);
    const encStream = enc.stream(MIB - 3, 3 * MIB + 4, { highWaterMarkBytes: MIB });
    assert.equal(encStream.readableHighWaterMark, MIB);
    assert.deepEqual(await collect(encStream), data.subarray(MIB - 3));
    const unused = await reader.open('enc.bin');
    await unused.close();
    assert.throws(() => unused.stream(0, 0), /already taken/);
    const outOfRange = await reader.open('plain.bin');
    assert.throws(() => outOfRange.stream(0, data.length), (e: unknown) => e instanceof LxencError && e.code === 'bad_range');
    await outOfRange.close();
  });

  it('refuses escapes before opening and rejects non-files', async (t) => {
    const base = await tempDir(t);
    const root = join(base, 'root');
    await mkdir(join(root, 'dir'), { recursive: true });
    await writeFile(join(base, 'outside.txt'), 'outside');
    await symlink(join(base, 'outside.txt'), join(root, 'link.txt'));
    const reader = new PayloadReader(root, async () => new Keyring(MasterKey.generate()));
    await assert.rejects(reader.open('../outside.txt'), StoragePathError);
    await assert.rejects(reader.open('link.txt'), StoragePathError);
    await assert.rejects(reader.open('dir'), (e: unknown) => (e as NodeJS.ErrnoException).code === 'EISDIR');
    await assert.rejects(reader.open('nothing.txt'), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT');
  });

  it('serves a root that is itself reached through a symlink', async (t) => {
    const base = await tempDir(t);
    await mkdir(join(base, 'real'));
    await writeFile(join(base, 'real/a.txt'), 'inside');
    await symlink(join(base, 'real'), join(base, 'alias'));
    const reader = new PayloadReader(join(base, 'alias'), async () => new Keyring(MasterKey.generate()));
    const opened = await reader.open('a.txt');
    assert.equal((await collect(opened.stream(0, 5))).toString(), 'inside');
    // a file renamed in after the reader learned the root still resolves inside it
    await rename(join(base, 'real/a.txt'), join(base, 'real/b.txt'));
    const renamed = await reader.open('b.txt');
    assert.equal(renamed.size, 6);
    await renamed.close();
  });
});

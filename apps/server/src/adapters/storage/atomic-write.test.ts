import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { atomicWriteStream } from './atomic-write.js';
import { tempDir } from './testdata/support.js';

describe('atomicWriteStream', () => {
  it('writes through a .<basename>.<random>.tmp sibling, then renames it into place', async (t) => {
    const dir = await tempDir(t);
    const finalPath = join(dir, 'video.mp4');
    let seenDuringWrite: string[] = [];
    const result = await atomicWriteStream(finalPath, async (handle) => {
      await handle.write(Buffer.from('hello'));
      seenDuringWrite = await readdir(dir);
      return 42;
    });
    assert.equal(result, 42);
    assert.equal(seenDuringWrite.length, 1);
    assert.match(seenDuringWrite[0]!, /^\.video\.mp4\.[0-9a-f]{16}\.tmp$/);
    assert.deepEqual(await readdir(dir), ['video.mp4']);
    assert.equal(await readFile(finalPath, 'utf8'), 'hello');
    assert.equal((await stat(finalPath)).mode & 0o777, 0o600);
  });

  it('applies the requested mode regardless of the umask', async (t) => {
    const dir = await tempDir(t);
    const finalPath = join(dir, 'p');
    await atomicWriteStream(finalPath, async (handle) => void (await handle.write('x')), { mode: 0o640 });
    assert.equal((await stat(finalPath)).mode & 0o777, 0o640);
  });

  it('on a failure mid-way removes the temp file and leaves an existing file untouched', async (t) => {
    const dir = await tempDir(t);
    const finalPath = join(dir, 'report.pdf');
    await assert.rejects(
      atomicWriteStream(finalPath, async (handle) => {
        await handle.write(Buffer.alloc(100_000, 1));
        throw new Error('source stream failed');
      }),
      /source stream failed/,
    );
    assert.deepEqual(await readdir(dir), []);

    await writeFile(finalPath, 'previous version');
    await assert.rejects(
      atomicWriteStream(finalPath, async (handle) => {
        await handle.write(Buffer.alloc(10, 2));
        throw new Error('again');
      }),
    );
    assert.deepEqual(await readdir(dir), ['report.pdf']);
    assert.equal(await readFile(finalPath, 'utf8'), 'previous version');
  });

  it('fails without leaving anything when the directory does not exist', async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(atomicWriteStream(join(dir, 'missing', 'f'), async () => undefined), { code: 'ENOENT' });
    assert.deepEqual(await readdir(dir), []);
  });
});

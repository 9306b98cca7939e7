import assert from 'node:assert/strict';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Keyring, MasterKey } from './keys.js';
import { encryptStream } from './lxenc-stream.js';
import { openRangeStream, readRange } from './range-reader.js';
import { collect, parseLayout, patternBytes, prng, rejectsLxenc, tempDir, wholeBuffer } from './testdata/support.js';

const keyring = new Keyring(MasterKey.generate());

async function encryptedFile(dir: string, data: Buffer, chunkSize: number): Promise<string> {
  const path = join(dir, `r-${chunkSize}.enc`);
  const handle = await open(path, 'w');
  await encryptStream(wholeBuffer(data), handle, keyring, { chunkSize });
  await handle.close();
  return path;
}

async function rangeWithCount(path: string, start: number, end: number): Promise<{ bytes: Buffer; chunks: number[] }> {
  const chunks: number[] = [];
  const stream = await openRangeStream(path, keyring, start, end, { onChunkDecrypted: (i) => chunks.push(i) });
  return { bytes: await collect(stream), chunks };
}

function overlapping(start: number, end: number, chunkSize: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(start / chunkSize); k <= Math.floor(end / chunkSize); k += 1) out.push(k);
  return out;
}

describe('readRange', () => {
  for (const chunkSize of [16, 1000, 65536]) {
    it(`matches the plaintext slice and decrypts only overlapping chunks (chunk ${chunkSize})`, async (t) => {
      const dir = await tempDir(t);
      const size = 10 * chunkSize + 7;
      const data = patternBytes(size, chunkSize);
      const path = await encryptedFile(dir, data, chunkSize);
      const ranges: Array<[number, number]> = [
        [0, 0],
        [size - 1, size - 1],
        [0, size - 1],
        [chunkSize - 1, chunkSize],
        [chunkSize, 2 * chunkSize - 1],
        [chunkSize, chunkSize],
        [chunkSize - 1, chunkSize - 1],
        [10 * chunkSize, size - 1],
        [10 * chunkSize - 1, size - 1],
        [3 * chunkSize + 1, 7 * chunkSize - 2],
      ];
      const next = prng(chunkSize);
      for (let i = 0; i < 150; i += 1) {
        const a = Math.floor(next() * size);
        const len = next() < 0.5 ? Math.floor(next() * 2 * chunkSize) : Math.floor(next() * size);
        ranges.push([a, Math.min(size - 1, a + len)]);
      }
      for (const [start, end] of ranges) {
        const { bytes, chunks } = await rangeWithCount(path, start, end);
        assert.equal(bytes.length, end - start + 1, `length of ${start}-${end}`);
        assert.ok(bytes.equals(data.subarray(start, end + 1)), `content of ${start}-${end}`);
        assert.deepEqual(chunks, overlapping(start, end, chunkSize), `chunks decrypted for ${start}-${end}`);
      }
      assert.deepEqual(await collect(readRange(path, keyring, 5, chunkSize + 5)), data.subarray(5, chunkSize + 6));
    });
  }

  it('reads the wanted range even when a chunk outside it is corrupt', async (t) => {
    const dir = await tempDir(t);
    const chunkSize = 1000;
    const data = patternBytes(10 * chunkSize, 5);
    const path = await encryptedFile(dir, data, chunkSize);
    const raw = await readFile(path);
    const { headerEnd } = parseLayout(raw);
    raw[headerEnd + 5 * (4 + chunkSize + 16) + 100]! ^= 0x10;
    await writeFile(path, raw);
    assert.deepEqual((await rangeWithCount(path, 2000, 2999)).bytes, data.subarray(2000, 3000));
    await rejectsLxenc(rangeWithCount(path, 4990, 5010), 'bad_tag');
    await rejectsLxenc(collect(readRange(path, keyring, 5000, 5000)), 'bad_tag');
  });

  it('checks each record length field against the geometry', async (t) => {
    const dir = await tempDir(t);
    const chunkSize = 100;
    const path = await encryptedFile(dir, patternBytes(1000, 2), chunkSize);
    const raw = await readFile(path);
    const { headerEnd } = parseLayout(raw);
    raw.writeUInt32BE(50, headerEnd + 3 * (4 + chunkSize + 16));
    await writeFile(path, raw);
    await rejectsLxenc(rangeWithCount(path, 300, 310), 'bad_geometry');
  });

  it('rejects ranges outside the plaintext before producing anything', async (t) => {
    const dir = await tempDir(t);
    const path = await encryptedFile(dir, patternBytes(100, 1), 16);
    for (const [start, end] of [[-1, 5], [5, 4], [0, 100], [100, 100], [0.5, 3], [0, Number.NaN]] as const) {
      await rejectsLxenc(openRangeStream(path, keyring, start, end), 'bad_range');
      await rejectsLxenc(collect(readRange(path, keyring, start, end)), 'bad_range');
    }
    const empty = await encryptedFile(await tempDir(t), Buffer.alloc(0), 16);
    await rejectsLxenc(openRangeStream(empty, keyring, 0, 0), 'bad_range');
  });

  it('seeks straight to the wanted chunk among thousands of tiny ones', async (t) => {
    // A 1-byte chunk size makes chunk indices equal plaintext offsets; reading the last byte must
    // touch exactly one chunk.
    const dir = await tempDir(t);
    const data = patternBytes(5000, 9);
    const path = await encryptedFile(dir, data, 1);
    const { bytes, chunks } = await rangeWithCount(path, 4999, 4999);
    assert.deepEqual(chunks, [4999]);
    assert.deepEqual(bytes, data.subarray(4999));
  });
});

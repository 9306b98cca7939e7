import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Keyring, MasterKey } from './keys.js';
import { isEncryptedFile, keyIdOfFile, plaintextSize } from './lxenc-file.js';
import { DEFAULT_CHUNK_SIZE, parseHeader, serializeHeader } from './lxenc-format.js';
import { decryptStream, encryptStream, openDecryptStream } from './lxenc-stream.js';
import { collect, oddPieces, parseLayout, patternBytes, rejectsLxenc, tempDir, wholeBuffer } from './testdata/support.js';

const keyring = new Keyring(MasterKey.generate());

function sizesFor(chunk: number): number[] {
  return [...new Set([0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + 5].filter((n) => n >= 0))];
}

function expectedChunkLengths(size: number, chunk: number): number[] {
  const lengths: number[] = [];
  for (let left = size; left > 0; left -= chunk) lengths.push(Math.min(left, chunk) + 16);
  return lengths;
}

async function encryptToFile(path: string, data: Buffer, chunkSize: number, source = wholeBuffer(data)) {
  const handle = await open(path, 'w');
  try {
    return await encryptStream(source, handle, keyring, { chunkSize });
  } finally {
    await handle.close();
  }
}

describe('encryptStream / decryptStream round trips', () => {
  for (const chunkSize of [16, 1000, DEFAULT_CHUNK_SIZE]) {
    for (const size of sizesFor(chunkSize)) {
      it(`chunk ${chunkSize}, ${size} bytes`, async (t) => {
        const dir = await tempDir(t);
        const data = patternBytes(size, size + chunkSize);
        const path = join(dir, 'f.enc');
        const result = await encryptToFile(path, data, chunkSize);
        assert.equal(result.plaintextBytes, size);
        assert.equal(result.sha256Hex, createHash('sha256').update(data).digest('hex'));
        assert.equal(result.keyId, keyring.active.id);
        const raw = await readFile(path);
        const layout = parseLayout(raw);
        assert.deepEqual(layout.chunkLengths, expectedChunkLengths(size, chunkSize));
        assert.equal(result.chunkCount, layout.chunkLengths.length);
        assert.equal(parseHeader(layout.headerBytes).chunkSize, chunkSize);
        assert.deepEqual(await collect(decryptStream(path, keyring)), data);
        assert.deepEqual(await collect(await openDecryptStream(path, keyring)), data);
        assert.equal(await plaintextSize(path), size);
        assert.equal(await isEncryptedFile(path), true);
      });
    }
  }

  it('empty plaintext produces zero chunks: the file ends right after the header', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'empty.enc');
    await encryptToFile(path, Buffer.alloc(0), 1000);
    const raw = await readFile(path);
    assert.equal(raw.length, 12 + raw.readUInt32BE(8));
  });

  for (const chunkSize of [16, 1000, 65536]) {
    it(`fills every chunk completely from odd-sized reads (chunk ${chunkSize})`, async (t) => {
      const dir = await tempDir(t);
      const size = 7 * chunkSize + 3;
      const data = patternBytes(size, 3);
      const path = join(dir, 'odd.enc');
      const maxPiece = Math.max(3, Math.floor(chunkSize / 3) + 5);
      const result = await encryptToFile(path, data, chunkSize, oddPieces(data, maxPiece, chunkSize));
      assert.equal(result.plaintextBytes, size);
      assert.equal(result.sha256Hex, createHash('sha256').update(data).digest('hex'));
      assert.deepEqual(parseLayout(await readFile(path)).chunkLengths, expectedChunkLengths(size, chunkSize));
      assert.deepEqual(await collect(decryptStream(path, keyring)), data);
    });
  }

  it('accepts pieces larger than a chunk, Readables, Uint8Arrays and a Writable destination', async (t) => {
    const dir = await tempDir(t);
    const data = patternBytes(10_000, 9);
    const path = join(dir, 'w.enc');
    const pieces = [data.subarray(0, 3500), new Uint8Array(data.subarray(3500, 3501)), data.subarray(3501)];
    const result = await encryptStream(Readable.from(pieces), createWriteStream(path), keyring, { chunkSize: 1000 });
    assert.equal(result.plaintextBytes, 10_000);
    assert.deepEqual(parseLayout(await readFile(path)).chunkLengths, expectedChunkLengths(10_000, 1000));
    assert.deepEqual(await collect(decryptStream(path, keyring)), data);
  });

  it('uses fresh DEK and nonces per file: same input, different ciphertext', async (t) => {
    const dir = await tempDir(t);
    const data = patternBytes(3000, 4);
    await encryptToFile(join(dir, 'a'), data, 1000);
    await encryptToFile(join(dir, 'b'), data, 1000);
    const [a, b] = [await readFile(join(dir, 'a')), await readFile(join(dir, 'b'))];
    assert.notDeepEqual(parseLayout(a).headerBytes, parseLayout(b).headerBytes);
    assert.notDeepEqual(a.subarray(-100), b.subarray(-100));
  });

  it('rejects invalid chunk sizes and non-binary sources', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x');
    for (const chunkSize of [0, -1, 1.5, 64 * 1024 * 1024 + 1]) {
      await rejectsLxenc(() => encryptToFile(path, Buffer.from('x'), chunkSize), 'chunk_size');
    }
    await rejectsLxenc(() => encryptStream(Readable.from(['text']), createWriteStream(path), keyring), 'bad_source');
  });

  it('propagates a source failure instead of finishing the file', async (t) => {
    const dir = await tempDir(t);
    async function* broken() {
      yield Buffer.alloc(5000);
      throw new Error('upload aborted');
    }
    const handle = await open(join(dir, 'x'), 'w');
    t.after(() => handle.close());
    await assert.rejects(encryptStream(broken(), handle, keyring, { chunkSize: 1000 }), /upload aborted/);
  });

  it('keeps memory bounded: never more than about two chunks ahead of what was written', async () => {
    const chunkSize = 64 * 1024;
    const total = 200 * chunkSize + 17;
    let produced = 0;
    let written = 0;
    let maxLead = 0;
    async function* source() {
      const piece = Buffer.alloc(10_007, 1);
      while (produced < total) {
        const n = Math.min(piece.length, total - produced);
        produced += n;
        yield piece.subarray(0, n);
      }
    }
    let sinkBytes = 0;
    const sink = new Writable({
      write(buf: Buffer, _enc, cb) {
        sinkBytes += buf.length;
        // ciphertext written so far, minus preamble and per-record overhead ≈ plaintext written
        written = Math.max(0, sinkBytes - 300) * (chunkSize / (chunkSize + 20));
        maxLead = Math.max(maxLead, produced - written);
        setImmediate(cb);
      },
    });
    const result = await encryptStream(source(), sink, keyring, { chunkSize });
    assert.equal(result.plaintextBytes, total);
    assert.ok(maxLead <= 2 * chunkSize + 20_000, `source ran ${maxLead} bytes ahead of the sink`);
  });

  it('reports the key id that unwraps a file', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'k.enc');
    await encryptToFile(path, Buffer.from('hello'), 16);
    assert.equal(await keyIdOfFile(path, keyring), keyring.active.id);
  });

  it('treats files without the magic as not encrypted', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'plain'), 'LXENC01 but no newline');
    await writeFile(join(dir, 'short'), 'LX');
    assert.equal(await isEncryptedFile(join(dir, 'plain')), false);
    assert.equal(await isEncryptedFile(join(dir, 'short')), false);
    await rejectsLxenc(plaintextSize(join(dir, 'plain')), 'bad_magic');
  });

  it('writes the header exactly as serializeHeader would for its own values', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.enc');
    await encryptToFile(path, Buffer.from('abc'), 1000);
    const { headerBytes } = parseLayout(await readFile(path));
    assert.deepEqual(serializeHeader(parseHeader(headerBytes)), headerBytes);
  });
});

import assert from 'node:assert/strict';
import { open, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LxencError } from './errors.js';
import { Keyring, MasterKey } from './keys.js';
import { gcmSeal } from './lxenc-crypto.js';
import { plaintextSize } from './lxenc-file.js';
import type { UnlockedLxencFile } from './lxenc-file.js';
import { LXENC_MAGIC, chunkNonce, encodePreamble, parseHeader, serializeHeader } from './lxenc-format.js';
import { decryptRecords, decryptStream, encryptStream, openDecryptStream } from './lxenc-stream.js';
import { collect, parseLayout, patternBytes, rejectsLxenc, tempDir, wholeBuffer } from './testdata/support.js';

const keyring = new Keyring(MasterKey.generate());
const CHUNK = 1000;
const DATA = patternBytes(3 * CHUNK + 5, 11);

interface Built {
  bytes: Buffer;
  file: UnlockedLxencFile;
}

/** Builds a file with validly sealed chunks in any arrangement (the writer would never produce these). */
function buildFile(chunkSize: number, plaintexts: Buffer[], declaredLength?: (index: number, actual: number) => number): Built {
  const { dek, wrapNonce, wrappedDek, keyId } = keyring.newDek();
  const header = { chunkSize, noncePrefix: Buffer.from('0102030405060708', 'hex'), wrapNonce, wrappedDek };
  const headerBytes = serializeHeader(header);
  const parts = [encodePreamble(headerBytes)];
  plaintexts.forEach((plaintext, index) => {
    const sealed = gcmSeal(dek, chunkNonce(header.noncePrefix, index), plaintext, headerBytes);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(declaredLength?.(index, sealed.length) ?? sealed.length);
    parts.push(prefix, sealed);
  });
  const total = plaintexts.reduce((n, p) => n + p.length, 0);
  const headerEnd = 12 + headerBytes.length;
  const file: UnlockedLxencFile = {
    header: parseHeader(headerBytes),
    headerBytes,
    dek,
    keyId,
    geometry: { headerEnd, chunkSize, chunkCount: plaintexts.length, lastCiphertextLength: 0, plaintextSize: total, fileSize: 0 },
  };
  return { bytes: Buffer.concat(parts), file };
}

/** Runs the sequential record parser alone (bypassing the up-front geometry check). */
async function sequential(t: Parameters<typeof tempDir>[0], built: Built): Promise<{ out: Buffer[]; error: unknown }> {
  const dir = await tempDir(t);
  const path = join(dir, 'seq.enc');
  await writeFile(path, built.bytes);
  const handle = await open(path, 'r');
  const out: Buffer[] = [];
  try {
    for await (const part of decryptRecords(handle, built.file, path)) out.push(part);
    return { out, error: undefined };
  } catch (error) {
    return { out, error };
  } finally {
    await handle.close();
  }
}

async function encryptedFile(t: Parameters<typeof tempDir>[0], data = DATA): Promise<{ path: string; raw: Buffer }> {
  const dir = await tempDir(t);
  const path = join(dir, 'f.enc');
  const handle = await open(path, 'w');
  await encryptStream(wholeBuffer(data), handle, keyring, { chunkSize: CHUNK });
  await handle.close();
  return { path, raw: await readFile(path) };
}

/** Asserts that every reader refuses the file with the given code (any LxencError when omitted). */
async function allReadersFail(path: string, code?: LxencError['code']): Promise<void> {
  await rejectsLxenc(collect(decryptStream(path, keyring)), code);
  await rejectsLxenc(openDecryptStream(path, keyring).then(collect), code);
}

describe('corruption is detected', () => {
  it('a flipped bit in any chunk fails authentication', async (t) => {
    const { path, raw } = await encryptedFile(t);
    const { headerEnd } = parseLayout(raw);
    for (const offset of [headerEnd + 4, headerEnd + 4 + 500, headerEnd + 4 + CHUNK + 15, raw.length - 1, raw.length - 17]) {
      const bad = Buffer.from(raw);
      bad[offset]! ^= 0x01;
      await writeFile(path, bad);
      const error = await rejectsLxenc(collect(decryptStream(path, keyring)), 'bad_tag');
      assert.match(error.message, new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }
  });

  it('a flipped bit anywhere in the header is an error', async (t) => {
    const { path, raw } = await encryptedFile(t);
    const { headerEnd } = parseLayout(raw);
    for (let offset = 12; offset < headerEnd; offset += 1) {
      const bad = Buffer.from(raw);
      bad[offset]! ^= 0x04;
      await writeFile(path, bad);
      await rejectsLxenc(collect(decryptStream(path, keyring)));
    }
  });

  it('a stream that fails mid-way emits the verified chunks, then errors and never ends', async (t) => {
    const { path, raw } = await encryptedFile(t);
    const bad = Buffer.from(raw);
    bad[raw.length - 3]! ^= 0x80;
    await writeFile(path, bad);
    const stream = await openDecryptStream(path, keyring);
    let received = 0;
    let ended = false;
    stream.on('data', (part: Buffer) => (received += part.length));
    stream.on('end', () => (ended = true));
    const error = await new Promise<unknown>((resolve) => stream.on('error', resolve));
    assert.ok(error instanceof LxencError && error.code === 'bad_tag');
    assert.equal(received, 3 * CHUNK, 'only the three verified chunks were emitted');
    assert.equal(ended, false);
  });

  it('truncation inside a chunk, inside a length prefix or inside the header', async (t) => {
    const { path, raw } = await encryptedFile(t);
    const { headerEnd } = parseLayout(raw);
    const record = 4 + CHUNK + 16;
    const cuts = [
      headerEnd + record + 500, // middle of chunk 1
      headerEnd + record + 30, // just after chunk 1's prefix
      headerEnd + 2 * record + 2, // inside chunk 2's length prefix
      raw.length - 1, // last byte of the last chunk
      headerEnd - 5, // inside the header
      10, // inside the header length
    ];
    for (const cut of cuts) {
      await writeFile(path, raw.subarray(0, cut));
      await allReadersFail(path, 'truncated');
      await rejectsLxenc(plaintextSize(path), 'truncated');
    }
  });

  it('trailing bytes after the last chunk', async (t) => {
    const { path, raw } = await encryptedFile(t);
    for (const extra of ['x', 'trailing bytes after the last chunk', 'y'.repeat(4 + CHUNK + 16)]) {
      await writeFile(path, Buffer.concat([raw, Buffer.from(extra)]));
      await allReadersFail(path);
      await rejectsLxenc(plaintextSize(path));
    }
  });

  it('KNOWN FORMAT LIMIT: dropping whole trailing records leaves a valid, shorter file', async (t) => {
    // LXENC01 has no end-of-stream marker and no total length in the header, so a cut exactly at
    // a record boundary is indistinguishable from a shorter file. Callers must compare against the
    // plaintext size / SHA-256 recorded at write time. This test pins the behaviour down.
    const { path, raw } = await encryptedFile(t);
    const { headerEnd } = parseLayout(raw);
    await writeFile(path, raw.subarray(0, headerEnd + 2 * (4 + CHUNK + 16)));
    assert.deepEqual(await collect(decryptStream(path, keyring)), DATA.subarray(0, 2 * CHUNK));
    assert.equal(await plaintextSize(path), 2 * CHUNK);
  });

  it('truncation in the middle is caught even when it happens after the file was opened', async (t) => {
    const { path, raw } = await encryptedFile(t);
    const stream = await openDecryptStream(path, keyring);
    await truncate(path, raw.length - 700);
    await rejectsLxenc(collect(stream), 'truncated');
  });

  it('a chunk after a short chunk', async (t) => {
    const built = buildFile(16, [Buffer.alloc(5, 1), Buffer.alloc(16, 2)]);
    const { out, error } = await sequential(t, built);
    assert.ok(error instanceof LxencError && error.code === 'bad_geometry' && /follows a short chunk/.test(error.message), String(error));
    assert.deepEqual(out, [Buffer.alloc(5, 1)]);
    const dir = await tempDir(t);
    await writeFile(join(dir, 'f'), built.bytes);
    await allReadersFail(join(dir, 'f'));
  });

  it('a chunk length above chunk_size + 16, or not above 16', async (t) => {
    for (const declared of [16 + 17, 16, 0, 0xffffffff]) {
      const built = buildFile(16, [Buffer.alloc(16, 1), Buffer.alloc(16, 2)], (i, actual) => (i === 1 ? declared : actual));
      const { error } = await sequential(t, built);
      assert.ok(error instanceof LxencError && error.code === 'chunk_size', String(error));
      const dir = await tempDir(t);
      await writeFile(join(dir, 'f'), built.bytes);
      await allReadersFail(join(dir, 'f'));
    }
    const oversized = buildFile(16, [Buffer.alloc(17, 1)]);
    const { error } = await sequential(t, oversized);
    assert.ok(error instanceof LxencError && error.code === 'chunk_size', String(error));
  });

  it('the sequential parser also checks the total against the geometry', async (t) => {
    const built = buildFile(16, [Buffer.alloc(16, 1), Buffer.alloc(4, 2)]);
    const { error } = await sequential(t, { ...built, file: { ...built.file, geometry: { ...built.file.geometry, plaintextSize: 21 } } });
    assert.ok(error instanceof LxencError && error.code === 'bad_geometry', String(error));
    assert.equal((await sequential(t, built)).error, undefined);
  });

  it('reordered chunks fail authentication (the counter is in the nonce)', async (t) => {
    const built = buildFile(16, [Buffer.alloc(16, 1), Buffer.alloc(16, 2), Buffer.alloc(3, 3)]);
    const headerEnd = built.file.geometry.headerEnd;
    const record = 4 + 32;
    const swapped = Buffer.concat([
      built.bytes.subarray(0, headerEnd),
      built.bytes.subarray(headerEnd + record, headerEnd + 2 * record),
      built.bytes.subarray(headerEnd, headerEnd + record),
      built.bytes.subarray(headerEnd + 2 * record),
    ]);
    const dir = await tempDir(t);
    await writeFile(join(dir, 'f'), swapped);
    await allReadersFail(join(dir, 'f'), 'bad_tag');
  });

  it('a wrong key, with one key or a whole keyring', async (t) => {
    const { path } = await encryptedFile(t);
    const other = new Keyring(MasterKey.generate());
    await rejectsLxenc(collect(decryptStream(path, other)), 'wrong_key');
    const ring = new Keyring(MasterKey.generate(), [MasterKey.generate(), MasterKey.generate()]);
    const error = await rejectsLxenc(openDecryptStream(path, ring), 'wrong_key');
    assert.match(error.message, /any of the 3 keyring keys/);
  });

  it('foreign files, empty files and bad header lengths', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'f');
    await writeFile(path, 'just some text that is longer than the magic');
    await allReadersFail(path, 'bad_magic');
    await writeFile(path, '');
    await allReadersFail(path, 'bad_magic');
    await writeFile(path, LXENC_MAGIC);
    await allReadersFail(path, 'truncated');
    const withHeaderLength = (n: number) => {
      const b = Buffer.alloc(12 + 100, 0x20);
      LXENC_MAGIC.copy(b);
      b.writeUInt32BE(n, 8);
      return b;
    };
    for (const n of [0, 65537, 0x7fffffff]) {
      await writeFile(path, withHeaderLength(n));
      await allReadersFail(path, 'bad_header');
      await rejectsLxenc(plaintextSize(path), 'bad_header');
    }
    await writeFile(path, withHeaderLength(200));
    await allReadersFail(path, 'truncated');
  });
});

import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { LxencError } from './errors.js';
import type { Keyring } from './keys.js';
import { gcmOpen } from './lxenc-crypto.js';
import { GCM_TAG_LENGTH, RECORD_PREFIX_LENGTH, chunkNonce, expectedCiphertextLength, recordOffset } from './lxenc-format.js';
import { unlockLxencFile } from './lxenc-file.js';
import type { UnlockedLxencFile } from './lxenc-file.js';
import { readableOverHandle } from './lxenc-stream.js';
import type { DecryptOptions } from './lxenc-stream.js';

/** Validates an inclusive byte range against a plaintext size. */
export function checkRange(start: number, endInclusive: number, size: number, path?: string): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(endInclusive) || start < 0 || start > endInclusive || endInclusive >= size) {
    throw new LxencError('bad_range', `range ${start}-${endInclusive} is not within the plaintext size ${size}`, path);
  }
}

/**
 * Decrypts only the chunks overlapping [start, endInclusive] and yields exactly those plaintext
 * bytes. Chunk positions come from the geometry; each record's length field must match it.
 */
export async function* decryptRange(
  handle: FileHandle,
  file: UnlockedLxencFile,
  start: number,
  endInclusive: number,
  path?: string,
  options: DecryptOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const { geometry } = file;
  checkRange(start, endInclusive, geometry.plaintextSize, path);
  const firstChunk = Math.floor(start / geometry.chunkSize);
  const lastChunk = Math.floor(endInclusive / geometry.chunkSize);
  const record = acquireRecordBuffer(RECORD_PREFIX_LENGTH + geometry.chunkSize + GCM_TAG_LENGTH);
  try {
    for (let index = firstChunk; index <= lastChunk; index += 1) {
      const position = recordOffset(geometry, index);
      const expected = expectedCiphertextLength(geometry, index);
      // one read per record (length field and sealed chunk together): a range costs as many
      // thread-pool round trips as it has chunks
      const got = await readInto(handle, record, position, RECORD_PREFIX_LENGTH + expected);
      if (got < RECORD_PREFIX_LENGTH) throw new LxencError('truncated', `ends inside the length field of chunk ${index}`, path);
      const declared = record.readUInt32BE(0);
      if (declared !== expected) {
        throw new LxencError('bad_geometry', `chunk ${index} declares ${declared} bytes where the geometry requires ${expected}`, path);
      }
      if (got < RECORD_PREFIX_LENGTH + expected) throw new LxencError('truncated', `ends inside chunk ${index}`, path);
      const sealed = record.subarray(RECORD_PREFIX_LENGTH, RECORD_PREFIX_LENGTH + expected);
      const plaintext = gcmOpen(file.dek, chunkNonce(file.header.noncePrefix, index), sealed, file.headerBytes);
      if (plaintext === undefined) throw new LxencError('bad_tag', `chunk ${index} fails authentication (corrupted or tampered)`, path);
      options.onChunkDecrypted?.(index);
      const chunkStart = index * geometry.chunkSize;
      const from = Math.max(start - chunkStart, 0);
      const to = Math.min(endInclusive - chunkStart + 1, plaintext.length);
      yield plaintext.subarray(from, to);
    }
  } finally {
    releaseRecordBuffer(record);
  }
}

// Ciphertext record buffers are reused across range reads: under concurrent range requests,
// allocating a fresh chunk-sized buffer per record made garbage collection a large share of the
// CPU. They only ever hold ciphertext, and a record is fully consumed (decrypted into a new
// plaintext buffer) before its buffer is read into again.
const RECORD_POOL_LIMIT = 16;
const recordPool: Buffer[] = [];

function acquireRecordBuffer(length: number): Buffer {
  const index = recordPool.findIndex((buffer) => buffer.length === length);
  return index === -1 ? Buffer.allocUnsafe(length) : (recordPool.splice(index, 1)[0] as Buffer);
}

function releaseRecordBuffer(buffer: Buffer): void {
  if (recordPool.length < RECORD_POOL_LIMIT) recordPool.push(buffer);
}

/** Reads until `length` bytes are in `buffer` (from offset 0) or EOF; returns the count. */
async function readInto(handle: FileHandle, buffer: Buffer, position: number, length: number): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/**
 * Opens the file, validates it and the range, then resolves to a Readable of exactly the plaintext
 * bytes [start, endInclusive]. An invalid range or file rejects before any byte is produced.
 */
export async function openRangeStream(
  path: string,
  keyring: Keyring,
  start: number,
  endInclusive: number,
  options: DecryptOptions = {},
): Promise<Readable> {
  const handle = await open(path, 'r');
  try {
    const file = await unlockLxencFile(handle, keyring, path);
    checkRange(start, endInclusive, file.geometry.plaintextSize, path);
    return readableOverHandle(handle, decryptRange(handle, file, start, endInclusive, path, options));
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** A Readable of plaintext bytes [start, endInclusive]; every failure destroys the stream with the error. */
export function readRange(path: string, keyring: Keyring, start: number, endInclusive: number, options: DecryptOptions = {}): Readable {
  return Readable.from(lazyRange(path, keyring, start, endInclusive, options), { objectMode: false });
}

async function* lazyRange(
  path: string,
  keyring: Keyring,
  start: number,
  endInclusive: number,
  options: DecryptOptions,
): AsyncGenerator<Buffer, void, undefined> {
  const handle = await open(path, 'r');
  try {
    const file = await unlockLxencFile(handle, keyring, path);
    yield* decryptRange(handle, file, start, endInclusive, path, options);
  } finally {
    await handle.close();
  }
}

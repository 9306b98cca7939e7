import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { LxencError } from './errors.js';
import type { Keyring } from './keys.js';
import { gcmOpen } from './lxenc-crypto.js';
import { RECORD_PREFIX_LENGTH, chunkNonce, expectedCiphertextLength, recordOffset } from './lxenc-format.js';
import { readFully, readLengthField, unlockLxencFile } from './lxenc-file.js';
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
  for (let index = firstChunk; index <= lastChunk; index += 1) {
    const position = recordOffset(geometry, index);
    const expected = expectedCiphertextLength(geometry, index);
    const declared = await readLengthField(handle, position);
    if (declared === undefined) throw new LxencError('truncated', `ends inside the length field of chunk ${index}`, path);
    if (declared !== expected) {
      throw new LxencError('bad_geometry', `chunk ${index} declares ${declared} bytes where the geometry requires ${expected}`, path);
    }
    const sealed = await readFully(handle, position + RECORD_PREFIX_LENGTH, expected);
    if (sealed.length < expected) throw new LxencError('truncated', `ends inside chunk ${index}`, path);
    const plaintext = gcmOpen(file.dek, chunkNonce(file.header.noncePrefix, index), sealed, file.headerBytes);
    if (plaintext === undefined) throw new LxencError('bad_tag', `chunk ${index} fails authentication (corrupted or tampered)`, path);
    options.onChunkDecrypted?.(index);
    const chunkStart = index * geometry.chunkSize;
    const from = Math.max(start - chunkStart, 0);
    const to = Math.min(endInclusive - chunkStart + 1, plaintext.length);
    yield plaintext.subarray(from, to);
  }
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

import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { LxencError } from './errors.js';
import type { Keyring } from './keys.js';
import { gcmOpen, gcmSealParts } from './lxenc-crypto.js';
import {
  DEFAULT_CHUNK_SIZE,
  GCM_TAG_LENGTH,
  MAX_CHUNKS,
  MAX_CHUNK_SIZE,
  NONCE_PREFIX_LENGTH,
  RECORD_PREFIX_LENGTH,
  chunkNonce,
  encodePreamble,
  serializeHeader,
} from './lxenc-format.js';
import { readFully, unlockLxencFile } from './lxenc-file.js';
import type { UnlockedLxencFile } from './lxenc-file.js';

/** Plaintext bytes: a Readable (binary mode) or any async iterable of byte chunks. */
export type ByteSource = Readable | AsyncIterable<Uint8Array>;
/** Where ciphertext goes: a Writable (ended when done) or an open FileHandle (left open, written at its position). */
export type ByteSink = Writable | FileHandle;

export interface EncryptOptions {
  /** Plaintext bytes per chunk, 1…64 MiB; default 1 MiB. */
  readonly chunkSize?: number;
}

export interface EncryptResult {
  readonly plaintextBytes: number;
  /** SHA-256 of the plaintext, computed in the same pass as the encryption. */
  readonly sha256Hex: string;
  readonly chunkCount: number;
  /** Id of the keyring key that wrapped the DEK. */
  readonly keyId: string;
}

export interface DecryptOptions {
  /** Test/diagnostic hook, called after chunk `index` has been read and its tag verified. */
  readonly onChunkDecrypted?: (index: number) => void;
}

/**
 * Encrypts `source` into the LXENC01 format. Chunks are always filled completely, whatever piece
 * sizes the source delivers; memory stays at about two chunks regardless of input size.
 */
export async function encryptStream(
  source: ByteSource,
  dest: ByteSink,
  keyring: Keyring,
  options: EncryptOptions = {},
): Promise<EncryptResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new LxencError('chunk_size', `chunk size ${chunkSize} is not an integer in 1…${MAX_CHUNK_SIZE}`);
  }
  const write = sinkWriter(dest);
  const { dek, wrapNonce, wrappedDek, keyId } = keyring.newDek();
  const noncePrefix = randomBytes(NONCE_PREFIX_LENGTH);
  const headerBytes = serializeHeader({ chunkSize, noncePrefix, wrapNonce, wrappedDek });
  await write([encodePreamble(headerBytes)]);

  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(chunkSize);
  let filled = 0;
  let chunkCount = 0;
  let plaintextBytes = 0;

  // One record write stays in flight while the next chunk is read and sealed, overlapping CPU and
  // I/O; memory stays bounded at the chunk buffer plus two sealed records.
  let inFlight: Promise<void> = Promise.resolve();
  let writeError: { error: unknown } | undefined;
  const seal = async (plaintext: Buffer): Promise<void> => {
    if (chunkCount >= MAX_CHUNKS) throw new LxencError('bad_source', 'input needs more chunks than the nonce counter allows; use a larger chunk size');
    const sealed = gcmSealParts(dek, chunkNonce(noncePrefix, chunkCount), plaintext, headerBytes);
    const prefix = Buffer.allocUnsafe(RECORD_PREFIX_LENGTH);
    prefix.writeUInt32BE(sealed.reduce((length, part) => length + part.length, 0));
    chunkCount += 1;
    await inFlight;
    if (writeError) throw writeError.error;
    inFlight = write([prefix, ...sealed]).catch((error: unknown) => {
      writeError = { error };
    });
  };
  const drain = async (): Promise<void> => {
    await inFlight;
    if (writeError) throw writeError.error;
  };

  try {
    for await (const piece of source as AsyncIterable<unknown>) {
      if (!(piece instanceof Uint8Array)) throw new LxencError('bad_source', 'source yielded a non-binary chunk (strings and objects are not accepted)');
      const bytes = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      hash.update(bytes);
      plaintextBytes += bytes.length;
      let offset = 0;
      while (offset < bytes.length) {
        if (filled === 0 && bytes.length - offset >= chunkSize) {
          await seal(bytes.subarray(offset, offset + chunkSize));
          offset += chunkSize;
          continue;
        }
        const taken = bytes.copy(chunk, filled, offset, Math.min(bytes.length, offset + chunkSize - filled));
        filled += taken;
        offset += taken;
        if (filled === chunkSize) {
          await seal(chunk);
          filled = 0;
        }
      }
    }
    if (filled > 0) await seal(chunk.subarray(0, filled));
    await drain();
  } finally {
    // never leave a write running against a handle the caller is about to close or delete
    await inFlight;
  }
  if (dest instanceof Writable) {
    dest.end();
    await finished(dest);
  }
  return { plaintextBytes, sha256Hex: hash.digest('hex'), chunkCount, keyId };
}

function sinkWriter(dest: ByteSink): (buffers: Buffer[]) => Promise<void> {
  if (dest instanceof Writable) {
    return (buffers) =>
      new Promise<void>((resolve, reject) => {
        buffers.forEach((buffer, i) => {
          if (i < buffers.length - 1) dest.write(buffer);
          else dest.write(buffer, (error) => (error ? reject(error) : resolve()));
        });
      });
  }
  return async (buffers) => {
    let pending = buffers.filter((buffer) => buffer.length > 0);
    while (pending.length > 0) {
      let { bytesWritten } = await dest.writev(pending);
      // writev may write partially; drop what was written and retry the rest.
      const rest: Buffer[] = [];
      for (const buffer of pending) {
        if (bytesWritten >= buffer.length) bytesWritten -= buffer.length;
        else {
          rest.push(buffer.subarray(bytesWritten));
          bytesWritten = 0;
        }
      }
      pending = rest;
    }
  };
}

/**
 * Sequentially reads and authenticates the chunk records of an unlocked file, independently of the
 * up-front geometry check (the file may change underneath): length bounds, no chunk after a short
 * one, no partial record at the end, tag verification, and a final total matching the geometry.
 * Yields plaintext only after its tag has verified.
 */
export async function* decryptRecords(
  handle: FileHandle,
  file: UnlockedLxencFile,
  path?: string,
  options: DecryptOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const { chunkSize } = file.header;
  let position = file.geometry.headerEnd;
  let index = 0;
  let total = 0;
  let sawShortChunk = false;
  for (;;) {
    const prefix = await readFully(handle, position, RECORD_PREFIX_LENGTH);
    if (prefix.length === 0) break;
    if (prefix.length < RECORD_PREFIX_LENGTH) throw new LxencError('truncated', `ends inside the length field of chunk ${index}`, path);
    const length = prefix.readUInt32BE(0);
    if (length <= GCM_TAG_LENGTH || length > chunkSize + GCM_TAG_LENGTH) {
      throw new LxencError('chunk_size', `chunk ${index} has ciphertext length ${length}, outside (${GCM_TAG_LENGTH}, ${chunkSize + GCM_TAG_LENGTH}]`, path);
    }
    if (sawShortChunk) throw new LxencError('bad_geometry', `chunk ${index} follows a short chunk`, path);
    if (index >= MAX_CHUNKS) throw new LxencError('bad_geometry', 'has more chunks than the nonce counter allows', path);
    const sealed = await readFully(handle, position + RECORD_PREFIX_LENGTH, length);
    if (sealed.length < length) throw new LxencError('truncated', `ends inside chunk ${index} (${sealed.length} of ${length} bytes)`, path);
    const plaintext = gcmOpen(file.dek, chunkNonce(file.header.noncePrefix, index), sealed, file.headerBytes);
    if (plaintext === undefined) throw new LxencError('bad_tag', `chunk ${index} fails authentication (corrupted or tampered)`, path);
    options.onChunkDecrypted?.(index);
    sawShortChunk = plaintext.length < chunkSize;
    total += plaintext.length;
    position += RECORD_PREFIX_LENGTH + length;
    index += 1;
    yield plaintext;
  }
  if (total !== file.geometry.plaintextSize) {
    throw new LxencError('bad_geometry', `decrypted ${total} bytes but the file size implied ${file.geometry.plaintextSize}`, path);
  }
}

/**
 * Turns a generator over an open handle into a binary Readable. The handle is closed when the
 * stream closes (end, error or destroy), even if the generator never started.
 */
export function readableOverHandle(
  handle: FileHandle,
  generator: AsyncGenerator<Buffer, void, undefined>,
  options: { highWaterMarkBytes?: number } = {},
): Readable {
  const stream = Readable.from(generator, { objectMode: false, ...(options.highWaterMarkBytes === undefined ? {} : { highWaterMark: options.highWaterMarkBytes }) });
  stream.once('close', () => {
    handle.close().catch(() => undefined);
  });
  return stream;
}

/**
 * Opens, validates (magic, header, geometry) and unlocks the file before resolving, so that a
 * missing, foreign or undecryptable file rejects here instead of failing mid-response. The
 * returned Readable must be consumed or destroyed, which closes the file.
 */
export async function openDecryptStream(path: string, keyring: Keyring, options: DecryptOptions = {}): Promise<Readable> {
  const handle = await open(path, 'r');
  try {
    const file = await unlockLxencFile(handle, keyring, path);
    return readableOverHandle(handle, decryptRecords(handle, file, path, options));
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * A Readable of the file's plaintext. Any failure, including open errors and corruption, destroys
 * the stream with the error (an `LxencError` for format problems); it never ends cleanly early.
 */
export function decryptStream(path: string, keyring: Keyring, options: DecryptOptions = {}): Readable {
  return Readable.from(lazyDecrypt(path, keyring, options), { objectMode: false });
}

async function* lazyDecrypt(path: string, keyring: Keyring, options: DecryptOptions): AsyncGenerator<Buffer, void, undefined> {
  const handle = await open(path, 'r');
  try {
    const file = await unlockLxencFile(handle, keyring, path);
    yield* decryptRecords(handle, file, path, options);
  } finally {
    await handle.close();
  }
}

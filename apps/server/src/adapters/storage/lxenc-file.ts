import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { LxencError } from './errors.js';
import type { Keyring } from './keys.js';
import {
  LXENC_MAGIC,
  PREAMBLE_LENGTH,
  RECORD_PREFIX_LENGTH,
  computeGeometry,
  parseHeader,
  parsePreamble,
} from './lxenc-format.js';
import type { LxencGeometry, LxencHeader } from './lxenc-format.js';

/** Everything needed to decrypt any chunk of one opened file. */
export interface LxencFileInfo {
  readonly header: LxencHeader;
  /** The header JSON exactly as stored: the AAD of every chunk. */
  readonly headerBytes: Buffer;
  readonly geometry: LxencGeometry;
}

export interface UnlockedLxencFile extends LxencFileInfo {
  readonly dek: Buffer;
  /** Id of the keyring key that unwrapped the DEK. */
  readonly keyId: string;
}

const CACHE_LIMIT = 64;

/**
 * A bounded LRU of parsed header + unwrapped DEK per (path, device, inode, size, mtime), kept per
 * keyring so that dropping a key from the keyring also stops cached DEKs from being used.
 */
class UnlockCache {
  readonly #entries = new Map<string, { identity: string; file: UnlockedLxencFile }>();

  get(path: string, identity: string): UnlockedLxencFile | undefined {
    const entry = this.#entries.get(path);
    if (entry === undefined) return undefined;
    this.#entries.delete(path);
    if (entry.identity !== identity) return undefined;
    this.#entries.set(path, entry);
    return entry.file;
  }

  set(path: string, identity: string, file: UnlockedLxencFile): void {
    this.#entries.delete(path);
    this.#entries.set(path, { identity, file });
    while (this.#entries.size > CACHE_LIMIT) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }
}

const caches = new WeakMap<Keyring, UnlockCache>();

function fileIdentity(stat: Stats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}

/** Reads until `length` bytes are in or EOF; returns the bytes actually read. */
export async function readFully(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/** Reads a record's uint32 length prefix; undefined if the file ends first. */
export async function readLengthField(handle: FileHandle, position: number): Promise<number | undefined> {
  const bytes = await readFully(handle, position, RECORD_PREFIX_LENGTH);
  return bytes.length === RECORD_PREFIX_LENGTH ? bytes.readUInt32BE(0) : undefined;
}

/** Parses and validates magic, header and size geometry of an opened file (no key needed). */
export async function inspectLxencFile(handle: FileHandle, path?: string, stat?: Stats): Promise<LxencFileInfo> {
  const fileStat = stat ?? (await handle.stat());
  const preamble = await readFully(handle, 0, PREAMBLE_LENGTH);
  const headerLength = parsePreamble(preamble, path);
  const headerBytes = await readFully(handle, PREAMBLE_LENGTH, headerLength);
  if (headerBytes.length < headerLength) throw new LxencError('truncated', 'ends inside the header', path);
  const header = parseHeader(headerBytes, path);
  const geometry = await computeGeometry(
    PREAMBLE_LENGTH + headerLength,
    header.chunkSize,
    fileStat.size,
    (offset) => readLengthField(handle, offset),
    path,
  );
  return { header, headerBytes, geometry };
}

/** Inspects an opened file and unwraps its DEK with the keyring, using the per-keyring cache. */
export async function unlockLxencFile(handle: FileHandle, keyring: Keyring, path?: string): Promise<UnlockedLxencFile> {
  const stat = await handle.stat();
  let cache = caches.get(keyring);
  if (cache === undefined) {
    cache = new UnlockCache();
    caches.set(keyring, cache);
  }
  const identity = fileIdentity(stat);
  if (path !== undefined) {
    const cached = cache.get(path, identity);
    if (cached !== undefined) return cached;
  }
  const info = await inspectLxencFile(handle, path, stat);
  const { dek, keyId } = keyring.unwrapDek(info.header.wrappedDek, info.header.wrapNonce, path);
  const unlocked = { ...info, dek, keyId };
  if (path !== undefined) cache.set(path, identity, unlocked);
  return unlocked;
}

/** Opens `path` read-only, runs `fn` and always closes the handle. */
export async function withFile<T>(path: string, fn: (handle: FileHandle) => Promise<T>): Promise<T> {
  const handle = await open(path, 'r');
  try {
    return await fn(handle);
  } finally {
    await handle.close();
  }
}

/** True iff the file starts with the LXENC01 magic. */
export async function isEncryptedFile(path: string): Promise<boolean> {
  return withFile(path, async (handle) => (await readFully(handle, 0, LXENC_MAGIC.length)).equals(LXENC_MAGIC));
}

/** Plaintext size from header and file size (geometry-checked, last length field validated), without decrypting. */
export async function plaintextSize(path: string): Promise<number> {
  return withFile(path, async (handle) => (await inspectLxencFile(handle, path)).geometry.plaintextSize);
}

/** Which keyring key unwraps the file's DEK (for rotation: find files still under a retiring key). */
export async function keyIdOfFile(path: string, keyring: Keyring): Promise<string> {
  return withFile(path, async (handle) => (await unlockLxencFile(handle, keyring, path)).keyId);
}

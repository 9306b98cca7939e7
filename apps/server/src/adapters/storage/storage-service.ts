import { createHash } from 'node:crypto';
import { mkdir, open, realpath, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fsyncDirectory } from '../../shared/durable-fs.js';
import { atomicWriteStream } from './atomic-write.js';
import { LxencError } from './errors.js';
import type { Keyring } from './keys.js';
import { inspectLxencFile, readFully, unlockLxencFile } from './lxenc-file.js';
import { DEFAULT_CHUNK_SIZE, LXENC_MAGIC } from './lxenc-format.js';
import { decryptRecords, encryptStream, readableOverHandle } from './lxenc-stream.js';
import type { ByteSource } from './lxenc-stream.js';
import { checkRange, decryptRange } from './range-reader.js';
import { resolveContained } from './storage-path.js';
import type { ContainedPath } from './storage-path.js';

export interface StorageServiceOptions {
  /** Absolute (or cwd-relative) storage root; it must exist. */
  readonly root: string;
  readonly keyring: Keyring;
  /** Plaintext bytes per chunk of new encrypted files; default 1 MiB. */
  readonly chunkSize?: number;
  /** Mode of encrypted files; default 0o600. */
  readonly encryptedFileMode?: number;
  /** Mode of plaintext files (served by nginx, typically via its group); default 0o640. */
  readonly plaintextFileMode?: number;
  /** Mode of created directories (before umask); default 0o750. */
  readonly directoryMode?: number;
}

export interface StoredFile {
  /** Normalized relative path with `/` separators. */
  readonly relativePath: string;
  readonly plaintextBytes: number;
  /** SHA-256 of the plaintext. */
  readonly sha256Hex: string;
}

const COPY_BUFFER_SIZE = 1024 * 1024;

/**
 * Files under one root: encrypted (LXENC01) or plain, always written atomically, with strict path
 * containment. Reads are transparent: a file is decrypted iff it starts with the LXENC01 magic.
 * Node I/O errors (e.g. ENOENT for a missing file) propagate unchanged.
 */
export class StorageService {
  readonly root: string;
  readonly keyring: Keyring;
  readonly #chunkSize: number;
  readonly #encryptedMode: number;
  readonly #plaintextMode: number;
  readonly #directoryMode: number;
  #realRoot: Promise<string> | undefined;

  constructor(options: StorageServiceOptions) {
    this.root = resolve(options.root);
    this.keyring = options.keyring;
    this.#chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.#encryptedMode = options.encryptedFileMode ?? 0o600;
    this.#plaintextMode = options.plaintextFileMode ?? 0o640;
    this.#directoryMode = options.directoryMode ?? 0o750;
  }

  /** Plaintext bytes per chunk of files this service writes. */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** Absolute path for a relative storage path, enforcing containment (see `resolveContained`). */
  async resolve(relativePath: string): Promise<string> {
    return (await this.#contain(relativePath)).absolute;
  }

  /** Encrypts and hashes `source` in one pass into `relativePath`, atomically; creates parent directories. */
  async write(relativePath: string, source: ByteSource): Promise<StoredFile> {
    const target = await this.#prepareWrite(relativePath);
    const result = await atomicWriteStream(
      target.absolute,
      (handle) => encryptStream(source, handle, this.keyring, { chunkSize: this.#chunkSize }),
      { mode: this.#encryptedMode },
    );
    return { relativePath: target.relative, plaintextBytes: result.plaintextBytes, sha256Hex: result.sha256Hex };
  }

  /** Writes `source` unencrypted (for files nginx serves directly), atomically, hashing it on the way. */
  async writePlaintext(relativePath: string, source: ByteSource): Promise<StoredFile> {
    const target = await this.#prepareWrite(relativePath);
    const result = await atomicWriteStream(target.absolute, (handle) => copyHashing(source, handle), { mode: this.#plaintextMode });
    return { relativePath: target.relative, ...result };
  }

  /** Plaintext of the whole file. Rejects before streaming if the file is missing, corrupt or undecryptable. */
  async read(relativePath: string): Promise<Readable> {
    const { absolute } = await this.#contain(relativePath);
    return this.#withOpened(absolute, async (handle, encrypted) => {
      if (!encrypted) return handle.createReadStream();
      const file = await unlockLxencFile(handle, this.keyring, absolute);
      return readableOverHandle(handle, decryptRecords(handle, file, absolute));
    });
  }

  /** Plaintext bytes [start, endInclusive]; only the overlapping chunks are decrypted. */
  async readRange(relativePath: string, start: number, endInclusive: number): Promise<Readable> {
    const { absolute } = await this.#contain(relativePath);
    return this.#withOpened(absolute, async (handle, encrypted) => {
      if (!encrypted) {
        checkRange(start, endInclusive, (await handle.stat()).size, absolute);
        return handle.createReadStream({ start, end: endInclusive });
      }
      const file = await unlockLxencFile(handle, this.keyring, absolute);
      checkRange(start, endInclusive, file.geometry.plaintextSize, absolute);
      return readableOverHandle(handle, decryptRange(handle, file, start, endInclusive, absolute));
    });
  }

  /** Plaintext size without decrypting (geometry-checked for encrypted files). */
  async size(relativePath: string): Promise<number> {
    const { absolute } = await this.#contain(relativePath);
    const handle = await open(absolute, 'r');
    try {
      if (!(await startsWithMagic(handle))) return (await handle.stat()).size;
      return (await inspectLxencFile(handle, absolute)).geometry.plaintextSize;
    } finally {
      await handle.close();
    }
  }

  /** Whether the stored file starts with the LXENC01 magic. */
  async isEncrypted(relativePath: string): Promise<boolean> {
    const { absolute } = await this.#contain(relativePath);
    const handle = await open(absolute, 'r');
    try {
      return await startsWithMagic(handle);
    } finally {
      await handle.close();
    }
  }

  /** Id of the keyring key that unwraps an encrypted file (undefined for plain files); for key rotation. */
  async keyIdOf(relativePath: string): Promise<string | undefined> {
    const { absolute } = await this.#contain(relativePath);
    const handle = await open(absolute, 'r');
    try {
      if (!(await startsWithMagic(handle))) return undefined;
      return (await unlockLxencFile(handle, this.keyring, absolute)).keyId;
    } finally {
      await handle.close();
    }
  }

  /** Whether a regular file exists at the path. */
  async exists(relativePath: string): Promise<boolean> {
    const { absolute } = await this.#contain(relativePath);
    try {
      return (await stat(absolute)).isFile();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  /** Deletes the file durably; false if it did not exist. */
  async delete(relativePath: string): Promise<boolean> {
    const { absolute } = await this.#contain(relativePath);
    try {
      await unlink(absolute);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    await fsyncDirectory(dirname(absolute));
    return true;
  }

  async #contain(relativePath: string): Promise<ContainedPath> {
    this.#realRoot ??= realpath(this.root);
    return resolveContained(this.root, await this.#realRoot, relativePath);
  }

  async #prepareWrite(relativePath: string): Promise<ContainedPath> {
    const target = await this.#contain(relativePath);
    await mkdir(dirname(target.absolute), { recursive: true, mode: this.#directoryMode });
    return target;
  }

  /** Opens the file and hands it over to `fn`, which owns it from then on unless it throws. */
  async #withOpened(absolute: string, fn: (handle: FileHandle, encrypted: boolean) => Promise<Readable>): Promise<Readable> {
    const handle = await open(absolute, 'r');
    try {
      return await fn(handle, await startsWithMagic(handle));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
}

async function startsWithMagic(handle: FileHandle): Promise<boolean> {
  return (await readFully(handle, 0, LXENC_MAGIC.length)).equals(LXENC_MAGIC);
}

async function copyHashing(source: ByteSource, handle: FileHandle): Promise<{ plaintextBytes: number; sha256Hex: string }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(COPY_BUFFER_SIZE);
  let filled = 0;
  let total = 0;
  const flush = async (): Promise<void> => {
    let offset = 0;
    while (offset < filled) offset += (await handle.write(buffer, offset, filled - offset)).bytesWritten;
    filled = 0;
  };
  for await (const piece of source as AsyncIterable<unknown>) {
    if (!(piece instanceof Uint8Array)) throw new LxencError('bad_source', 'source yielded a non-binary chunk');
    hash.update(piece);
    total += piece.length;
    let offset = 0;
    while (offset < piece.length) {
      const taken = Math.min(piece.length - offset, buffer.length - filled);
      buffer.set(piece.subarray(offset, offset + taken), filled);
      filled += taken;
      offset += taken;
      if (filled === buffer.length) await flush();
    }
  }
  await flush();
  return { plaintextBytes: total, sha256Hex: hash.digest('hex') };
}

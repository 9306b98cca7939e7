import { open, readlink, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Transform, pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { StoragePathError } from './errors.js';
import type { Keyring } from './keys.js';
import { readFully, unlockLxencFile } from './lxenc-file.js';
import type { UnlockedLxencFile } from './lxenc-file.js';
import { LXENC_MAGIC } from './lxenc-format.js';
import { readableOverHandle } from './lxenc-stream.js';
import { checkRange, decryptRange } from './range-reader.js';
import { isInsideRoot, resolveContained } from './storage-path.js';

/** One opened file, validated up front, whose plaintext bytes can be streamed by range. */
export interface OpenedPayload {
  readonly absolutePath: string;
  /** Normalized relative path with `/` separators. */
  readonly relativePath: string;
  /** Starts with the LXENC01 magic (and was unlocked with the keyring). */
  readonly encrypted: boolean;
  /** Plaintext size in bytes. */
  readonly size: number;
  /**
   * A Readable of plaintext bytes [start, endInclusive]; only overlapping chunks are decrypted.
   * Hands the file over to the stream, which closes it when it ends or is destroyed; call at most once.
   * A failure mid-way destroys the stream with the error, it never ends early as if complete.
   */
  stream(start: number, endInclusive: number, options?: { highWaterMarkBytes?: number }): Readable;
  /** Closes the file when no stream was taken. */
  close(): Promise<void>;
}

/**
 * Opens files below one root for delivery. The keyring is only asked for when a file is
 * encrypted, so plaintext delivery works on a host without a master key.
 */
export class PayloadReader {
  readonly root: string;
  readonly #keyring: () => Promise<Keyring>;
  #realRoot: Promise<string> | undefined;

  constructor(root: string, keyring: () => Promise<Keyring>) {
    this.root = root;
    this.#keyring = keyring;
  }

  /**
   * Opens `relativePath` (contained in the root, symlinks must not lead out of it), checks that the
   * opened descriptor really is a regular file inside the root, and for LXENC01 files unlocks the
   * key and validates header and size geometry, all before a single byte is sent. Rejects with
   * `StoragePathError`, Node's ENOENT/EISDIR…, `LxencError`, or the keyring's error.
   */
  async open(relativePath: string): Promise<OpenedPayload> {
    this.#realRoot ??= realpath(this.root);
    const realRoot = await this.#realRoot.catch((error: unknown) => {
      this.#realRoot = undefined;
      throw error;
    });
    const contained = await resolveContained(this.root, realRoot, relativePath);
    const handle = await open(contained.absolute, 'r');
    let handedOver = false;
    try {
      // The path was checked before opening; the descriptor is what will actually be read, so a
      // symlink swapped in between cannot point the response at a file outside the root.
      const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
      if (opened !== undefined && !isInsideRoot(realRoot, opened)) throw new StoragePathError(relativePath, 'resolves to outside the root');
      const stat = await handle.stat();
      if (!stat.isFile()) throw Object.assign(new Error(`${contained.relative} is not a regular file`), { code: 'EISDIR' });
      const encrypted = (await readFully(handle, 0, LXENC_MAGIC.length)).equals(LXENC_MAGIC);
      const unlocked: UnlockedLxencFile | undefined = encrypted ? await unlockLxencFile(handle, await this.#keyring(), contained.absolute) : undefined;
      const size = unlocked === undefined ? stat.size : unlocked.geometry.plaintextSize;
      handedOver = true;
      return payload(handle, contained.absolute, contained.relative, size, unlocked);
    } finally {
      if (!handedOver) await handle.close();
    }
  }
}

function payload(handle: FileHandle, absolutePath: string, relativePath: string, size: number, unlocked: UnlockedLxencFile | undefined): OpenedPayload {
  let taken = false;
  return {
    absolutePath,
    relativePath,
    encrypted: unlocked !== undefined,
    size,
    stream(start, endInclusive, options = {}) {
      if (taken) throw new Error('the payload stream was already taken');
      taken = true;
      checkRange(start, endInclusive, size, absolutePath);
      if (unlocked === undefined) {
        const raw = handle.createReadStream({ start, end: endInclusive, autoClose: true, ...(options.highWaterMarkBytes === undefined ? {} : { highWaterMark: options.highWaterMarkBytes }) });
        // A plaintext file truncated while being sent would otherwise end "cleanly" short of the promised length.
        return exactLength(raw, endInclusive - start + 1, absolutePath);
      }
      return readableOverHandle(handle, decryptRange(handle, unlocked, start, endInclusive, absolutePath), options);
    },
    async close() {
      if (!taken) {
        taken = true;
        await handle.close();
      }
    },
  };
}

/** Passes `source` through and fails the stream if it ends with any other byte count than `expectedBytes`. */
function exactLength(source: Readable, expectedBytes: number, path: string): Readable {
  let seen = 0;
  const counted = new Transform({
    readableHighWaterMark: source.readableHighWaterMark,
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > expectedBytes ? new Error(`${path} grew while being read`) : null, chunk);
    },
    flush(callback) {
      callback(seen === expectedBytes ? null : new Error(`${path} ended after ${seen} of ${expectedBytes} bytes (changed while being read)`));
    },
  });
  pipeline(source, counted, () => undefined);
  return counted;
}

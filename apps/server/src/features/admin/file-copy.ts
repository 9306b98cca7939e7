import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { atomicWriteStream, encryptStream, type Keyring } from '../../adapters/storage/index.js';

export interface CopiedFile {
  readonly bytes: number;
  readonly sha256Hex: string;
}

export interface CopyOptions {
  /** Permission bits of the copy. */
  readonly mode: number;
  /** Kept on the copy, so that a merge or restore does not make old files look new. */
  readonly mtime?: Date;
  /** The copy is only renamed into place when its content hashes to this (a verified restore). */
  readonly expectedSha256?: string;
  /** An operator command run as root hands the copy to the owner of the tree it lands in. */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

/** The file's content does not match the hash a manifest promised. */
export class ChecksumMismatch extends Error {
  override readonly name = 'ChecksumMismatch';
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${path}: SHA-256 ${actual} does not match the manifest (${expected})`);
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Copies `source` to `target` atomically (temp file, fsync, rename, directory fsync), hashing the
 * bytes as they pass. With `expectedSha256`, a mismatch aborts before the rename: the target is
 * never replaced by a copy that differs from what the manifest promised.
 */
export async function copyFileDurably(source: string, target: string, options: CopyOptions): Promise<CopiedFile> {
  return atomicWriteStream(
    target,
    async (handle) => {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of createReadStream(source, { highWaterMark: 1024 * 1024 })) {
        const buffer = chunk as Buffer;
        hash.update(buffer);
        bytes += buffer.length;
        await writeAll(handle, buffer);
      }
      const sha256Hex = hash.digest('hex');
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256Hex) throw new ChecksumMismatch(source, options.expectedSha256, sha256Hex);
      if (options.mtime) await handle.utimes(options.mtime, options.mtime);
      return { bytes, sha256Hex };
    },
    { mode: options.mode, ...(options.owner ? { owner: options.owner } : {}) },
  );
}

/** Encrypts `source` into an LXENC01 `target` atomically; the hash is the plaintext's. */
export async function encryptFileDurably(source: string, target: string, keyring: Keyring, options: Omit<CopyOptions, 'expectedSha256'>): Promise<CopiedFile> {
  return atomicWriteStream(
    target,
    async (handle) => {
      const result = await encryptStream(createReadStream(source, { highWaterMark: 1024 * 1024 }), handle, keyring);
      if (options.mtime) await handle.utimes(options.mtime, options.mtime);
      return { bytes: result.plaintextBytes, sha256Hex: result.sha256Hex };
    },
    { mode: options.mode, ...(options.owner ? { owner: options.owner } : {}) },
  );
}

/** SHA-256 and size of a file, streamed. */
export async function hashFile(path: string): Promise<CopiedFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256Hex: hash.digest('hex') };
}

import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { StorageService, StoredFile } from '../../adapters/storage/index.js';

/** Where video work files live: `<storage>/temp/<area>/`, never outside the protected storage tree. */
export function videoTempRoot(storageDir: string, area: 'video_work' | 'hls_plaintext_source' | 'hls_key_material' | 'frame_stream'): string {
  return join(storageDir, 'temp', area);
}

/**
 * Runs `fn` with a fresh private (0700) directory below `root` and removes the directory
 * afterwards on every path (success, error, abort): decrypted video and crops of patient
 * data exist only for the duration of the call.
 */
export async function withPrivateWorkDir<T>(root: string, prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(root, `${prefix}-`));
  try {
    await chmod(dir, 0o700);
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Decrypts a stored file into a 0600 plaintext file (ffmpeg needs a seekable input). */
export async function decryptToPrivateFile(storage: StorageService, relativePath: string, target: string, signal?: AbortSignal): Promise<void> {
  await pipeline(await storage.read(relativePath), createWriteStream(target, { mode: 0o600, flags: 'wx' }), { signal });
}

/** Encrypts a finished work file into storage (atomic write, SHA-256 of the plaintext returned). */
export async function storeEncrypted(storage: StorageService, relativePath: string, source: string): Promise<StoredFile> {
  return storage.write(relativePath, createReadStream(source));
}

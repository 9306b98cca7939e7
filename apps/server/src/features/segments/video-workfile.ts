import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { StorageService } from '../../adapters/storage/index.js';

/** Work files of this feature live in `<storage>/temp/segments/`, inside the protected storage tree. */
export function segmentsTempRoot(storageDir: string): string {
  return join(storageDir, 'temp', 'segments');
}

/**
 * Decrypts a stored video into a fresh private (0700) directory, runs `fn` with the 0600
 * plaintext file and removes the directory on every path (success, error, abort).
 */
export async function withDecryptedVideo<T>(storage: StorageService, relativePath: string, tempRoot: string, fn: (path: string, dir: string) => Promise<T>, signal?: AbortSignal): Promise<T> {
  await mkdir(tempRoot, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(tempRoot, 'video-'));
  try {
    await chmod(dir, 0o700);
    const path = join(dir, 'source.mp4');
    await pipeline(await storage.read(relativePath), createWriteStream(path, { mode: 0o600, flags: 'wx' }), { signal });
    return await fn(path, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { fsyncDirectory } from '../../shared/durable-fs.js';

/** A hidden sibling of `finalPath` for a tool to write into; same directory, so rename is atomic. */
export function siblingTempPath(finalPath: string): string {
  const ext = extname(finalPath);
  return join(dirname(finalPath), `.${basename(finalPath, ext)}.${randomBytes(8).toString('hex')}.tmp${ext}`);
}

/** fsyncs a finished temp file, gives it its final mode and renames it over `finalPath`. */
export async function commitTempFile(tempPath: string, finalPath: string, mode: number): Promise<void> {
  const handle = await open(tempPath, 'r+');
  try {
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tempPath, finalPath);
  await fsyncDirectory(dirname(finalPath));
}

/** Best-effort removal used in failure paths; the original error matters more than this one. */
export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true }).catch(() => undefined);
}

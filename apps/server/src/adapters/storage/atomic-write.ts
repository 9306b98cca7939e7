import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDirectory } from '../../shared/durable-fs.js';

export interface AtomicWriteOptions {
  /** Permission bits of the final file (applied with chmod, so the umask does not interfere). Default 0o600. */
  readonly mode?: number;
  /**
   * Owner of the final file. An operator command run as root on files of the service user must
   * hand them back to that user, or the service could no longer read what it wrote.
   */
  readonly owner?: { readonly uid: number; readonly gid: number };
  /**
   * Called after the temp file is complete and durable, right before the rename; throwing aborts
   * the write (the temp file is removed). In-place rewrites use it to give up when the original
   * changed meanwhile, instead of replacing a concurrent writer's new content with stale data.
   */
  readonly beforeRename?: () => Promise<void>;
}

/** Name of the temporary sibling used while writing `finalPath`: `.<basename>.<random>.tmp`. */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${randomBytes(8).toString('hex')}.tmp`);
}

/**
 * Writes a file atomically: `writer` fills a fresh temp file in the same directory, which is then
 * fsynced and renamed over `finalPath`, and the directory is fsynced so the rename is durable.
 * On any error (including the writer's source failing mid-way) the temp file is removed and an
 * existing `finalPath` is left untouched. Resolves to the writer's result.
 */
export async function atomicWriteStream<T>(
  finalPath: string,
  writer: (handle: FileHandle) => Promise<T>,
  options: AtomicWriteOptions = {},
): Promise<T> {
  const tempPath = tempPathFor(finalPath);
  const handle = await open(tempPath, 'wx', 0o600);
  let closed = false;
  let renamed = false;
  try {
    await handle.chmod(options.mode ?? 0o600);
    if (options.owner !== undefined) await handle.chown(options.owner.uid, options.owner.gid);
    const result = await writer(handle);
    await handle.sync();
    closed = true;
    await handle.close();
    await options.beforeRename?.();
    await rename(tempPath, finalPath);
    renamed = true;
    await fsyncDirectory(dirname(finalPath));
    return result;
  } catch (error) {
    if (!closed) await handle.close().catch(() => undefined);
    if (!renamed) await unlink(tempPath).catch(() => undefined);
    throw error;
  }
}


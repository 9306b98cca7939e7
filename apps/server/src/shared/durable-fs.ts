import { copyFile, constants as fsConstants, link, lstat, open, rename, unlink } from 'node:fs/promises';

/** Makes a preceding rename/create/unlink in `directory` durable. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** True when something (file, directory or symlink, dangling or not) has this name. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS']);

/**
 * Renames `source` to `target` but never replaces an existing file: a hard link
 * fails with EEXIST when the name is taken. Where hard links are unavailable it
 * falls back to check-then-rename, and across filesystems to an exclusive copy
 * (fsynced) followed by unlinking the source. False when `target` exists.
 */
export async function moveNoClobber(source: string, target: string): Promise<boolean> {
  try {
    await link(source, target);
    await unlink(source);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_HARD_LINKS.has(code)) throw error;
  }
  if (await pathExists(target)) return false;
  try {
    await rename(source, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
  }
  try {
    await copyFile(source, target, fsConstants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  const handle = await open(target, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await unlink(source);
  return true;
}

import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { StoragePathError } from './errors.js';

/** A storage path resolved inside the root. */
export interface ContainedPath {
  /** Absolute path (root joined with the normalized relative path; symlinks not expanded). */
  readonly absolute: string;
  /** Normalized relative path with `/` separators. */
  readonly relative: string;
}

/** True when `candidate` is `root` or below it (both absolute, already resolved). */
export function isInsideRoot(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Resolves `relativePath` under `root`, rejecting empty paths, NUL bytes, absolute paths, `..`
 * escapes, and symlinks leaving the root: the deepest existing ancestor (or the path itself) is
 * realpath'd and must stay inside the root's real path; a dangling symlink is rejected outright.
 * `realRoot` is the root's realpath. The check is advisory against concurrent renames by others.
 */
export async function resolveContained(root: string, realRoot: string, relativePath: string): Promise<ContainedPath> {
  const reject = (reason: string): never => {
    throw new StoragePathError(String(relativePath), reason);
  };
  if (typeof relativePath !== 'string' || relativePath === '') reject('is empty');
  if (relativePath.includes('\0')) reject('contains a NUL byte');
  if (isAbsolute(relativePath)) reject('is absolute; a path relative to the storage root is required');
  const absolute = resolve(root, relativePath);
  const rel = relative(root, absolute);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) reject('escapes the storage root');

  let current = absolute;
  for (;;) {
    let real: string | undefined;
    try {
      real = await realpath(current);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      if (code === 'ENOENT' && (await lstat(current).then(() => true, () => false))) reject('passes through a dangling symbolic link');
    }
    if (real !== undefined) {
      if (!isInsideRoot(realRoot, real)) reject('resolves through a symbolic link to outside the storage root');
      break;
    }
    if (current === root) reject('has a storage root that does not exist');
    current = dirname(current);
  }
  return { absolute, relative: rel.split(sep).join('/') };
}

import { lstat, readdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * Directory names whose subtree is never a managed payload: rsync's partial transfers, work areas
 * of running jobs, and the plaintext-on-disk streamable output that nginx serves.
 */
export const UNMANAGED_DIRECTORY_NAMES: ReadonlySet<string> = new Set(['.lx-annotate-rsync-partial', '_processing', 'streamable_videos', 'transcoding']);

/** Why an entry of the storage tree was not treated as a managed payload. */
export type SkipReason = 'symlink' | 'unmanaged-directory' | 'hidden-or-temporary' | 'excluded-root' | 'not-a-regular-file';

/** A regular file found by the walk. */
export interface ManagedFile {
  /** Relative to the storage root, `/`-separated. */
  readonly relativePath: string;
  readonly absolutePath: string;
  /** lstat of the file when it was found; in-place rewrites compare against it. */
  readonly stat: Stats;
}

export interface WalkOptions {
  /**
   * `managed` (default) applies every skip rule of the repair command. `everything` only leaves out
   * symlinks, in-flight temp files (`*.tmp`) and rsync partials: key rotation must reach every
   * LXENC01 file, because one left under a retiring key is lost once that key leaves the keyring.
   */
  readonly scope?: 'managed' | 'everything';
  /** Absolute directories left out entirely in `managed` scope (the configured streamable roots, wherever they are). */
  readonly excludeRoots?: readonly string[];
  /** Called for every entry that is left out, with its path relative to the root. */
  readonly onSkip?: (relativePath: string, reason: SkipReason) => void;
}

/** Editors', rsync's and our own atomic writers' scratch names (`.x.tmp`, `~x`, `x.tmp`). */
export function isHiddenOrTemporaryName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('~') || name.endsWith('.tmp');
}

/**
 * Walks `start` (an absolute path inside `root`, a directory or a single file) depth-first in name
 * order and yields the managed regular files. Symlinks are never followed or yielded, so a link
 * cannot lead the walk out of the storage root.
 */
export async function* walkManagedFiles(root: string, start: string, options: WalkOptions = {}): AsyncGenerator<ManagedFile, void, undefined> {
  const everything = options.scope === 'everything';
  const excluded = new Set(everything ? [] : (options.excludeRoots ?? []));
  const skippedDirectory = (name: string): boolean => (everything ? name === '.lx-annotate-rsync-partial' : UNMANAGED_DIRECTORY_NAMES.has(name));
  const skippedName = (name: string): boolean => (everything ? name.endsWith('.tmp') : isHiddenOrTemporaryName(name));
  const rel = (absolute: string): string => relative(root, absolute).split(sep).join('/') || '.';
  const skip = (absolute: string, reason: SkipReason): void => options.onSkip?.(rel(absolute), reason);

  const relativeStart = relative(root, start);
  for (const part of relativeStart === '' ? [] : relativeStart.split(sep)) {
    if (skippedDirectory(part) || skippedName(part)) {
      skip(start, skippedDirectory(part) ? 'unmanaged-directory' : 'hidden-or-temporary');
      return;
    }
  }

  async function* visit(absolute: string, stat: Stats): AsyncGenerator<ManagedFile, void, undefined> {
    if (stat.isSymbolicLink()) return skip(absolute, 'symlink');
    if (excluded.has(absolute)) return skip(absolute, 'excluded-root');
    if (stat.isFile()) {
      yield { relativePath: rel(absolute), absolutePath: absolute, stat };
      return;
    }
    if (!stat.isDirectory()) return skip(absolute, 'not-a-regular-file');
    const names = (await readdir(absolute)).sort();
    for (const name of names) {
      const child = join(absolute, name);
      let childStat: Stats;
      try {
        childStat = await lstat(child);
      } catch (error) {
        // removed between readdir and lstat by a concurrent writer: nothing to do for it
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      if (childStat.isDirectory() && skippedDirectory(name)) {
        skip(child, 'unmanaged-directory');
        continue;
      }
      if (skippedName(name) && !childStat.isSymbolicLink()) {
        skip(child, 'hidden-or-temporary');
        continue;
      }
      yield* visit(child, childStat);
    }
  }

  yield* visit(start, await lstat(start));
}

import { constants as fsConstants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

export type DropKind = 'video' | 'report' | 'preanonymized';
export type DropFileType = 'video' | 'report' | 'document';

export interface DropDirectories {
  readonly video: string;
  readonly report: string;
  readonly preanonymized: string;
}

/** §3.5: raw videos the video drop directory takes. */
export const VIDEO_EXTENSIONS: readonly string[] = ['.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v'];

/** A file the watcher may hand off: which directory, what it is, and its sidecar (preanonymized only). */
export interface DropCandidate {
  readonly path: string;
  readonly kind: DropKind;
  readonly fileType: DropFileType;
  /** `<stem>.json` beside a preanonymized file; it may not exist. */
  readonly sidecarPath: string | undefined;
}

const IN_PROGRESS_SUFFIXES = ['.tmp', '.part', '.partial', '.crdownload', '.download', '.lock'];

/**
 * §3.5 ignored names: in-progress hand-off names (`.tmp`, `.part`, `.partial`,
 * `.crdownload`, `.download`, or containing `.tmp.`/`.part.`), lock files, anything
 * `_processing`, hidden (`.`) and backup (`~`) names, and transcoder output.
 */
export function isIgnoredName(path: string): boolean {
  const name = basename(path);
  const lower = name.toLowerCase();
  if (name.startsWith('.') || name.startsWith('~')) return true;
  if (IN_PROGRESS_SUFFIXES.some((suffix) => lower.endsWith(suffix))) return true;
  if (lower.includes('.tmp.') || lower.includes('.part.')) return true;
  if (path.split(/[\\/]/).includes('_processing') || lower.includes('_processing')) return true;
  return lower.includes('transcoding');
}

/**
 * The candidate a path is, or undefined: its parent must be exactly one of the three
 * drop directories (watching is not recursive) and its extension must belong there.
 * In the preanonymized directory `.pdf`, `.mp4` and the SAP converter's `.txt`
 * carriers are candidates; `.json` files are sidecars, never candidates themselves.
 */
export function classifyDropPath(path: string, dirs: DropDirectories): DropCandidate | undefined {
  if (isIgnoredName(path)) return undefined;
  const parent = dirname(path);
  const extension = extname(path).toLowerCase();
  if (parent === dirs.video) return VIDEO_EXTENSIONS.includes(extension) ? { path, kind: 'video', fileType: 'video', sidecarPath: undefined } : undefined;
  if (parent === dirs.report) return extension === '.pdf' ? { path, kind: 'report', fileType: 'report', sidecarPath: undefined } : undefined;
  if (parent !== dirs.preanonymized) return undefined;
  const fileType: DropFileType | undefined = extension === '.pdf' ? 'report' : extension === '.mp4' ? 'video' : extension === '.txt' ? 'document' : undefined;
  if (!fileType) return undefined;
  const stem = basename(path).slice(0, basename(path).length - extname(path).length);
  return { path, kind: 'preanonymized', fileType, sidecarPath: join(parent, `${stem}.json`) };
}

export interface DropDirectoryProblem {
  readonly directory: string;
  readonly problem: string;
}

/** For `watch --dry-run` and start-up: every drop directory exists, is a real directory and is writable. */
export async function checkDropDirectories(dirs: DropDirectories): Promise<DropDirectoryProblem[]> {
  const problems: DropDirectoryProblem[] = [];
  for (const directory of [dirs.video, dirs.report, dirs.preanonymized]) {
    const info = await lstat(directory).catch(() => undefined);
    if (!info) problems.push({ directory, problem: 'does not exist' });
    else if (info.isSymbolicLink()) problems.push({ directory, problem: 'is a symbolic link' });
    else if (!info.isDirectory()) problems.push({ directory, problem: 'is not a directory' });
    else await access(directory, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK).catch(() => problems.push({ directory, problem: 'is not readable and writable by this user' }));
  }
  return problems;
}

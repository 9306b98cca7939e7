import { lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { isEncryptedFile, plaintextSize } from '../../adapters/storage/index.js';
import { fsyncDirectory, moveNoClobber, pathExists } from '../../shared/durable-fs.js';

/** Quarantined names are derived from ids and kept to these characters. */
const SAFE_NAME = /[^A-Za-z0-9._-]+/g;

/** A name in `dir` that no file has yet: `name`, then `<stem>-2<ext>`, `<stem>-3<ext>`… */
export async function freeName(dir: string, name: string): Promise<string> {
  const clean = name.replace(SAFE_NAME, '_').replace(/^\.+/, '') || 'upload';
  const ext = extname(clean);
  const stem = clean.slice(0, clean.length - ext.length);
  for (let n = 1; n < 10_000; n += 1) {
    const candidate = join(dir, n === 1 ? clean : `${stem}-${n}${ext}`);
    if (!(await pathExists(candidate))) return candidate;
  }
  throw new Error(`no free name for ${clean} in the quarantine directory`);
}

/**
 * Moves a file into `dir` under `name` (or the next free variant), never
 * overwriting, and makes both directory entries durable. Returns the new path.
 */
export async function moveIntoDirectory(source: string, dir: string, name: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o750 });
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const target = await freeName(dir, name);
    if (await moveNoClobber(source, target)) {
      await fsyncDirectory(dir);
      await fsyncDirectory(dirname(source));
      return target;
    }
  }
  throw new Error(`could not move ${basename(source)} into the quarantine directory`);
}

export interface QuarantineFile {
  readonly name: string;
  readonly path: string;
  /** Plaintext size (an encrypted stored copy counts its content, not its ciphertext). */
  readonly sizeBytes: number;
  readonly modifiedAt: string;
  readonly encrypted: boolean;
}

/** Regular files directly in the quarantine directory (symlinks and sub-directories are not ours). */
export async function listQuarantineDirectory(dir: string): Promise<QuarantineFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files: QuarantineFile[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    const info = await describeQuarantined(path);
    if (info) files.push(info);
  }
  return files;
}

/** Size and age of one quarantined file; undefined when it is gone or not a regular file. */
export async function describeQuarantined(path: string): Promise<QuarantineFile | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const encrypted = await isEncryptedFile(path).catch(() => false);
  const sizeBytes = encrypted ? await plaintextSize(path).catch(() => info.size) : (await stat(path)).size;
  return { name: basename(path), path, sizeBytes, modifiedAt: info.mtime.toISOString(), encrypted };
}

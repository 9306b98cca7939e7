import { randomBytes } from 'node:crypto';
import { chown, lstat, mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { Conflict } from '../../../shared/errors.js';
import { fsyncDirectory, moveNoClobber, pathExists } from '../../../shared/durable-fs.js';

/** Owner handed to files written by a command run as root (the service user must keep reading them). */
export type FileOwner = { readonly uid: number; readonly gid: number };

const STAGING_PREFIX = '.sap_ish_staging-';
const STALE_STAGING_MS = 6 * 60 * 60 * 1000;
const STAGING_WRITERS = 8;

/** When the process runs as root, the owner of `directory`; otherwise undefined (files stay ours). */
export async function ownerForFilesIn(directory: string): Promise<FileOwner | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const s = await stat(directory);
  return s.uid === 0 ? undefined : { uid: s.uid, gid: s.gid };
}

async function writeDurable(path: string, content: string, mode: number, owner: FileOwner | undefined): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.chmod(mode);
    if (owner) await handle.chown(owner.uid, owner.gid);
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface PairToWrite {
  readonly stem: string;
  readonly carrierText: string;
  readonly sidecarJson: string;
}

export interface PublishedPair {
  readonly stem: string;
  readonly carrierPath: string;
  readonly sidecarPath: string;
}

/**
 * A published name without its patient and case tokens (`sap_ish_0001_briefe_….txt`): errors
 * end up in the journal, which must not carry patient numbers.
 */
function withoutPatientTokens(path: string): string {
  const match = /^(sap_ish_\d+_(?:meona_medikamente|[a-z]+))_.+(\.(?:txt|json))$/.exec(basename(path));
  return match ? join(dirname(path), `${match[1]}_…${match[2]}`) : path;
}

/** Removes staging directories a crashed run left behind (old enough that no live run owns them). */
async function removeStaleStaging(outputDir: string, nowMs: number): Promise<void> {
  for (const name of await readdir(outputDir)) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const path = join(outputDir, name);
    const s = await lstat(path).catch(() => undefined);
    if (s?.isDirectory() && nowMs - s.mtimeMs > STALE_STAGING_MS) await rm(path, { recursive: true, force: true });
  }
}

/**
 * Writes all pairs or none. Every file is first written and fsynced in a hidden staging
 * directory inside `outputDir` (same filesystem, and the watcher ignores dot-names and does
 * not recurse). Only then are the pairs published, each sidecar `.json` before its carrier
 * `.txt`: the watcher dispatches on the carrier and reads the sidecar beside it, so it can
 * never see a carrier whose metadata is missing. Publishing never replaces an existing file;
 * a name already taken (an earlier import not yet ingested) fails the run, and what this
 * run already published is withdrawn again, carriers first.
 */
export async function publishPairs(
  outputDir: string,
  pairs: readonly PairToWrite[],
  options: {
    fileMode: number;
    owner?: FileOwner | undefined;
    nowMs: number;
    /** Runs between staging and publishing; lets a test play the concurrent writer. */
    afterStaging?: () => Promise<void>;
  },
): Promise<PublishedPair[]> {
  await removeStaleStaging(outputDir, options.nowMs);
  const targets = pairs.map((p) => ({ ...p, carrierPath: join(outputDir, `${p.stem}.txt`), sidecarPath: join(outputDir, `${p.stem}.json`) }));
  for (const t of targets) {
    for (const path of [t.sidecarPath, t.carrierPath]) {
      if (await pathExists(path)) throw new Conflict(`output file already exists (an earlier import not yet ingested?): ${withoutPatientTokens(path)}`);
    }
  }
  const staging = join(outputDir, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`);
  await mkdir(staging, { mode: 0o700 });
  const published: string[] = [];
  try {
    // Several files in flight at once: the filesystem journal then commits their fsyncs together.
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < targets.length && !failed) {
        const t = targets[next]!;
        next += 1;
        try {
          await writeDurable(join(staging, `${t.stem}.json`), t.sidecarJson, options.fileMode, options.owner);
          await writeDurable(join(staging, `${t.stem}.txt`), t.carrierText, options.fileMode, options.owner);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    // Every writer has stopped before the staging directory is removed.
    const results = await Promise.allSettled(Array.from({ length: Math.min(STAGING_WRITERS, targets.length) }, worker));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    await fsyncDirectory(staging);
    await options.afterStaging?.();
    for (const t of targets) {
      for (const [name, path] of [
        [`${t.stem}.json`, t.sidecarPath],
        [`${t.stem}.txt`, t.carrierPath],
      ] as const) {
        if (!(await moveNoClobber(join(staging, name), path))) throw new Conflict(`output file already exists (written concurrently?): ${withoutPatientTokens(path)}`);
        published.push(path);
      }
    }
    await fsyncDirectory(outputDir);
  } catch (error) {
    const carriersFirst = [...published].sort((a, b) => Number(b.endsWith('.txt')) - Number(a.endsWith('.txt')));
    for (const path of carriersFirst) await unlink(path).catch(() => undefined);
    await fsyncDirectory(outputDir).catch(() => undefined);
    throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return targets.map((t) => ({ stem: t.stem, carrierPath: t.carrierPath, sidecarPath: t.sidecarPath }));
}

/** `<stem><ext>` in `dir`, or `<stem>-<stamp><ext>`, `<stem>-<stamp>-2<ext>`… when taken. */
export async function moveIntoWithoutOverwrite(source: string, dir: string, stamp: string, owner?: FileOwner): Promise<string> {
  const name = basename(source);
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const candidate = join(dir, attempt === 0 ? name : attempt === 1 ? `${stem}-${stamp}${ext}` : `${stem}-${stamp}-${attempt}${ext}`);
    if (await moveNoClobber(source, candidate)) {
      if (owner) await chown(candidate, owner.uid, owner.gid).catch(() => undefined);
      await fsyncDirectory(dir);
      await fsyncDirectory(dirname(source));
      return candidate;
    }
  }
  throw new Conflict(`no free name for ${name} in ${dir}`);
}

/** A UTC timestamp usable in file names: `20240517T063000Z`. */
export function fileStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

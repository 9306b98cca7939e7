import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, open, readdir, realpath, rename, stat, statfs } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { atomicWriteStream, LXENC_MAGIC, type Keyring } from '../../adapters/storage/index.js';
import { isInside } from '../../config/index.js';
import { copyFileDurably, encryptFileDurably } from './file-copy.js';
import { applyEnvFilePlan, planEnvFile, type EnvFilePlan } from './legacy-env.js';

export type MigrationMode = 'merge' | 'full';

export interface DataDirMigrationOptions {
  /** The legacy (repo-local) `data/` tree. */
  readonly sourceRoot: string;
  /** The protected runtime root (`settings.paths.dataRoot`). */
  readonly targetRoot: string;
  readonly mode: MigrationMode;
  readonly dryRun: boolean;
  /** Default: `<target>/migration_staging/manifests/migrate-data-dir-<timestamp>.json` (not written on a dry run). */
  readonly manifestPath?: string;
  /** Loads the storage keyring; only called when a managed payload must be encrypted. */
  readonly keyring: () => Promise<Keyring>;
  /** Receives the guide's log lines. */
  readonly log: (line: string) => void;
  readonly now?: () => Date;
}

export interface MigratedEntry {
  readonly source: string;
  readonly destination: string;
  readonly bytes: number;
  readonly encrypted: boolean;
  readonly sha256: string | null;
}

export interface SkippedEntry {
  readonly source: string;
  readonly destination: string;
  readonly reason: 'destination_exists' | 'symlink' | 'not_a_regular_file' | 'lock_file' | 'runtime_file';
}

export interface DataDirMigrationResult {
  readonly mode: MigrationMode;
  readonly dryRun: boolean;
  readonly sourceRoot: string;
  readonly targetRoot: string;
  readonly sourceBackup: string | undefined;
  readonly migrated: readonly MigratedEntry[];
  readonly skipped: readonly SkippedEntry[];
  readonly bytesToCopy: number;
  readonly envFile: EnvFilePlan;
  readonly manifestPath: string | undefined;
}

/** A refusal before anything was changed (exit 1 with the reason). */
export class MigrationRefused extends Error {
  override readonly name = 'MigrationRefused';
}

/**
 * Managed payload roots (the historical merge list): their files are encrypted on the way unless
 * already LXENC01. Import drop zones and streamable videos stay plaintext: the watcher and nginx
 * read them directly.
 */
export function isManagedPayload(relativePath: string): boolean {
  const parts = relativePath.split('/');
  const top = parts[0] === 'storage' ? parts[1] : parts[0];
  if (top === undefined || parts.length < (parts[0] === 'storage' ? 3 : 2)) return false;
  return ['documents', 'model_weights', 'uploads'].includes(top) || top.startsWith('sensitive_') || /^processed_.+_final$/.test(top);
}

/** Files of the legacy tree that are runtime state of the old deployment, never data. */
const RUNTIME_FILES = new Set(['.env.systemd', '.env', '.migration-complete']);

/** Capacity rule of the original: free space ≥ 1.05 × bytes to copy + 128 MiB. */
export function requiredFreeBytes(bytesToCopy: number): number {
  return Math.ceil(bytesToCopy * 1.05) + 128 * 1024 * 1024;
}

interface PlannedFile {
  readonly source: string;
  readonly destination: string;
  readonly relativePath: string;
  readonly bytes: number;
  readonly mode: number;
  readonly mtime: Date;
  readonly encrypt: boolean;
}

interface Plan {
  readonly directories: Array<{ destination: string; mode: number }>;
  readonly files: PlannedFile[];
  readonly skipped: SkippedEntry[];
  bytes: number;
}

async function startsWithMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(LXENC_MAGIC.length);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return bytesRead === buffer.length && buffer.equals(LXENC_MAGIC);
  } finally {
    await handle.close();
  }
}

/**
 * Walks the source without following links. A directory missing in the target is copied whole
 * (one `copying` line); an existing one is merged into; an existing file is never replaced.
 */
async function planCopy(sourceRoot: string, targetRoot: string, log: (line: string) => void): Promise<Plan> {
  const plan: Plan = { directories: [], files: [], skipped: [], bytes: 0 };
  const visit = async (source: string, destination: string, parentIsNew: boolean): Promise<void> => {
    const relativePath = relative(sourceRoot, source).split(sep).join('/');
    const name = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    const s = await lstat(source);
    const skip = (reason: SkippedEntry['reason']): void => void plan.skipped.push({ source, destination, reason });
    if (relativePath !== '' && !relativePath.includes('/') && RUNTIME_FILES.has(name)) return skip('runtime_file');
    if (s.isSymbolicLink()) return skip('symlink');
    if (!s.isFile() && !s.isDirectory()) return skip('not_a_regular_file');
    if (s.isFile() && name.endsWith('.lock')) return skip('lock_file');
    const existing = parentIsNew ? undefined : await lstat(destination).catch(() => undefined);
    if (existing && !(s.isDirectory() && existing.isDirectory())) {
      log(`WARNING: destination already exists, skipping: ${destination}`);
      return skip('destination_exists');
    }
    if (!existing && !parentIsNew) log(`copying ${source} -> ${destination}`);
    if (s.isFile()) {
      const encrypt = isManagedPayload(relativePath) && !(await startsWithMagic(source));
      plan.files.push({ source, destination, relativePath, bytes: s.size, mode: s.mode & 0o660, mtime: s.mtime, encrypt });
      plan.bytes += s.size;
      return;
    }
    if (!existing) plan.directories.push({ destination, mode: (s.mode & 0o770) | 0o700 });
    for (const child of (await readdir(source)).sort()) await visit(join(source, child), join(destination, child), !existing);
  };
  await visit(sourceRoot, targetRoot, false);
  return plan;
}

async function hasAnyFile(dir: string): Promise<boolean> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (entry.isDirectory() ? await hasAnyFile(join(dir, entry.name)) : !RUNTIME_FILES.has(entry.name)) return true;
  }
  return false;
}

async function freeBytes(path: string): Promise<number> {
  let probe = path;
  while (!existsSync(probe)) probe = dirname(probe);
  const s = await statfs(probe);
  return s.bavail * s.bsize;
}

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

async function writeTextAtomic(path: string, text: string, owner: { uid: number; gid: number } | undefined, mode = 0o640): Promise<void> {
  const first = await mkdir(dirname(path), { recursive: true, mode: 0o750 });
  // Directories a root run creates (migration_staging/manifests) must stay usable by the services.
  if (first !== undefined && owner) {
    for (let dir = dirname(path); dir.length >= first.length; dir = dirname(dir)) await chown(dir, owner.uid, owner.gid);
  }
  await atomicWriteStream(path, (handle) => handle.writeFile(text, 'utf8'), { mode, ...(owner ? { owner } : {}) });
}

/**
 * `migrate-data-dir`: moves a legacy repo-local data tree into the protected runtime root.
 *
 * merge: non-destructive; copies what the target lacks, warns and skips what it has, leaves the
 * source alone. full: the target must hold no data; the source is renamed to
 * `<source>.migration-backup-<ts>` and copied from there; on any failure the target is moved to
 * `<target>.failed-migration-<ts>` and the backup renamed back. Both encrypt managed payloads on
 * the way, keep an existing env file as the source of truth, and write `.migration-complete` and a
 * JSON manifest. Every file lands through temp + fsync + rename, so a rerun after an interruption
 * simply completes the rest.
 */
export async function migrateDataDir(options: DataDirMigrationOptions): Promise<DataDirMigrationResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const { log, mode, dryRun } = options;
  let sourceRoot: string;
  try {
    sourceRoot = await realpath(options.sourceRoot);
    if (!(await stat(sourceRoot)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new MigrationRefused(`the legacy data root ${options.sourceRoot} does not exist or is not a directory`);
  }
  const targetRoot = existsSync(options.targetRoot) ? await realpath(options.targetRoot) : options.targetRoot;
  if (isInside(sourceRoot, targetRoot) || isInside(targetRoot, sourceRoot)) {
    throw new MigrationRefused(`source ${sourceRoot} and target ${targetRoot} overlap; they must be separate trees`);
  }
  if (mode === 'full' && (await hasAnyFile(targetRoot))) {
    throw new MigrationRefused(`the target ${targetRoot} already contains data; use --merge for a non-destructive merge`);
  }

  const euid = process.geteuid?.();
  const targetStat = await stat(targetRoot).catch(() => undefined);
  // Run as root (the recovery unit may be), copies go to whoever owns the runtime root.
  const owner = euid === 0 && targetStat ? { uid: targetStat.uid, gid: targetStat.gid } : undefined;

  const plan = await planCopy(sourceRoot, targetRoot, log);
  const envFile = planEnvFile(sourceRoot, targetRoot);
  if (envFile.action === 'kept') log(`target env file already exists, leaving as source of truth: ${envFile.path}`);
  const available = await freeBytes(targetRoot);
  if (available < requiredFreeBytes(plan.bytes)) {
    throw new MigrationRefused(`not enough free space at ${targetRoot}: ${available} bytes free, ${requiredFreeBytes(plan.bytes)} needed for ${plan.bytes} bytes`);
  }
  const needsKey = plan.files.some((f) => f.encrypt);
  const keyring = needsKey && !dryRun ? await options.keyring() : undefined;

  const migrated: MigratedEntry[] = [];
  const result = (sourceBackup: string | undefined, manifestPath: string | undefined): DataDirMigrationResult => ({
    mode,
    dryRun,
    sourceRoot,
    targetRoot,
    sourceBackup,
    migrated: dryRun ? plan.files.map((f) => ({ source: f.source, destination: f.destination, bytes: f.bytes, encrypted: f.encrypt, sha256: null })) : migrated,
    skipped: plan.skipped,
    bytesToCopy: plan.bytes,
    envFile,
    manifestPath,
  });
  if (dryRun) {
    const manifestPath = options.manifestPath;
    if (manifestPath) await writeTextAtomic(manifestPath, manifestJson(result(undefined, manifestPath), startedAt, now()), undefined);
    return result(undefined, manifestPath);
  }

  const backup = mode === 'full' ? `${sourceRoot}.migration-backup-${stamp(startedAt)}` : undefined;
  const from = (path: string): string => (backup ? join(backup, relative(sourceRoot, path)) : path);
  if (backup) await rename(sourceRoot, backup);
  try {
    await mkdir(targetRoot, { recursive: true, mode: 0o750 });
    for (const dir of plan.directories) {
      await mkdir(dir.destination, { recursive: true, mode: dir.mode });
      await chmod(dir.destination, dir.mode);
      if (owner) await chown(dir.destination, owner.uid, owner.gid);
    }
    for (const file of plan.files) {
      const copyOptions = { mode: file.encrypt ? 0o600 : file.mode, mtime: file.mtime, ...(owner ? { owner } : {}) };
      const copied = file.encrypt && keyring ? await encryptFileDurably(from(file.source), file.destination, keyring, copyOptions) : await copyFileDurably(from(file.source), file.destination, copyOptions);
      migrated.push({ source: file.source, destination: file.destination, bytes: copied.bytes, encrypted: file.encrypt, sha256: copied.sha256Hex });
    }
    // In full mode a legacy env file inside the source now lives in the backup.
    const legacy = envFile.legacy !== undefined && isInside(sourceRoot, envFile.legacy) ? from(envFile.legacy) : envFile.legacy;
    await applyEnvFilePlan({ ...envFile, legacy }, targetRoot, owner);
    const manifestPath = options.manifestPath ?? join(targetRoot, 'migration_staging', 'manifests', `migrate-data-dir-${stamp(startedAt)}.json`);
    const done = result(backup, manifestPath);
    await writeTextAtomic(manifestPath, manifestJson(done, startedAt, now()), owner);
    const marker = [
      `mode=${mode}`,
      `completed_at=${now().toISOString()}`,
      `source=${sourceRoot}`,
      ...(backup ? [`source_backup=${backup}`] : []),
      `source_repo=${dirname(sourceRoot)}`,
      `manifest=${manifestPath}`,
      `copied=${migrated.length}`,
      `skipped=${plan.skipped.length}`,
    ];
    await writeTextAtomic(join(targetRoot, '.migration-complete'), `${marker.join('\n')}\n`, owner);
    return done;
  } catch (error) {
    if (backup) {
      const failed = `${targetRoot}.failed-migration-${stamp(startedAt)}`;
      if (existsSync(targetRoot)) await rename(targetRoot, failed);
      await rename(backup, sourceRoot);
      await mkdir(targetRoot, { recursive: true, mode: 0o750 });
      if (targetStat) await chown(targetRoot, targetStat.uid, targetStat.gid).catch(() => undefined);
      log(`migration failed; the partial target was moved to ${failed} and the source restored to ${sourceRoot}`);
    }
    throw error;
  }
}

function manifestJson(result: DataDirMigrationResult, startedAt: Date, finishedAt: Date): string {
  return `${JSON.stringify(
    {
      command: 'migrate-data-dir',
      mode: result.mode,
      dry_run: result.dryRun,
      started_at: startedAt.toISOString(),
      finished_at: finishedAt.toISOString(),
      source_root: result.sourceRoot,
      target_root: result.targetRoot,
      source_backup: result.sourceBackup ?? null,
      bytes_to_copy: result.bytesToCopy,
      env_file: { path: result.envFile.path, action: result.envFile.action, legacy: result.envFile.legacy ?? null },
      migrated_entries: result.migrated,
      skipped_entries: result.skipped,
    },
    null,
    2,
  )}\n`;
}

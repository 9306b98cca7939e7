import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { z } from 'zod';
import { atomicWriteStream } from '../../adapters/storage/index.js';
import type { Settings } from '../../config/index.js';
import { copyFileDurably, hashFile } from './file-copy.js';
import { moveSqliteAside, restorePostgres, snapshotPostgres, snapshotSqlite, type ToolEnvironment } from './database-snapshot.js';

export const BACKUP_FORMAT = 'lx-annotate-backup/1';
const MANIFEST = 'manifest.json';
const STORAGE_DIR = 'storage';
/** Temp files of the atomic writers (`.<name>.<16 hex>.tmp`): never complete data. */
const ATOMIC_TEMP_NAME = /^\..+\.[0-9a-f]{16}\.tmp$/;

const FileEntry = z.object({ path: z.string().min(1), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
type FileEntry = z.infer<typeof FileEntry>;

export const BackupManifest = z.object({
  format: z.literal(BACKUP_FORMAT),
  created_at: z.string(),
  version: z.string(),
  engine: z.enum(['sqlite', 'postgres']),
  database: FileEntry,
  storage: z.object({ source_root: z.string(), files: z.array(FileEntry) }).nullable(),
});
export type BackupManifest = z.infer<typeof BackupManifest>;

/** The backup is incomplete or altered; lists every problem. Nothing was restored. */
export class BackupInvalid extends Error {
  override readonly name = 'BackupInvalid';
  constructor(
    readonly dir: string,
    readonly problems: readonly string[],
  ) {
    super(`backup ${dir} failed verification: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''}`);
  }
}

/** Refused before anything changed: a non-empty backup target, live data without `--force`, another engine. */
export class OperationRefused extends Error {
  override readonly name = 'OperationRefused';
}

export interface BackupOptions {
  readonly settings: Settings;
  readonly targetDir: string;
  readonly databaseOnly?: boolean;
  readonly version: string;
  readonly toolEnv: ToolEnvironment;
  readonly log?: (line: string) => void;
}

export interface BackupSummary {
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
}

const rel = (root: string, path: string): string => relative(root, path).split(sep).join('/');

/** Regular files below `root` (links and atomic-writer temp files left out), sorted. */
async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const s = await lstat(path).catch(() => undefined);
      if (!s || s.isSymbolicLink()) continue;
      if (s.isDirectory()) await walk(path);
      else if (s.isFile() && !ATOMIC_TEMP_NAME.test(name)) out.push(path);
    }
  };
  if (existsSync(root)) await walk(root);
  return out;
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await atomicWriteStream(path, (handle) => handle.writeFile(`${JSON.stringify(value, null, 2)}\n`, 'utf8'), { mode: 0o600 });
}

/**
 * `lx-annotate backup <dir>`: the database first (SQLite online backup or pg_dump, both a single
 * consistent snapshot), then the storage tree. In that order every file the snapshot refers to was
 * already stored when it was taken (payloads are written before their rows). Encrypted payloads are
 * copied as they are: the backup never holds the master key. Every copy is read back and compared
 * with the hash taken on the way in; only then is `manifest.json` written, so a backup without a
 * manifest is never mistaken for a complete one.
 */
export async function createBackup(options: BackupOptions): Promise<BackupSummary> {
  const { settings, targetDir } = options;
  const log = options.log ?? (() => undefined);
  if (existsSync(targetDir) && (await readdir(targetDir)).length > 0) throw new OperationRefused(`${targetDir} is not empty; back up into a new directory`);
  await mkdir(targetDir, { recursive: true, mode: 0o700 });
  await chmod(targetDir, 0o700);

  const db = settings.database;
  const dbName = db.engine === 'sqlite' ? 'database.sqlite3' : 'database.pgdump';
  const dbPath = join(targetDir, dbName);
  if (db.engine === 'sqlite') await snapshotSqlite(db, dbPath);
  else await snapshotPostgres(db, dbPath, options.toolEnv);
  const dbHash = await hashFile(dbPath);
  log(`database snapshot: ${dbName} (${dbHash.bytes} bytes)`);

  let storage: BackupManifest['storage'] = null;
  if (!options.databaseOnly) {
    const source = settings.paths.storageDir;
    const files: FileEntry[] = [];
    for (const path of await listFiles(source)) {
      const relativePath = rel(source, path);
      const target = join(targetDir, STORAGE_DIR, ...relativePath.split('/'));
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      const s = await lstat(path);
      const copied = await copyFileDurably(path, target, { mode: 0o600, mtime: s.mtime });
      files.push({ path: relativePath, bytes: copied.bytes, sha256: copied.sha256Hex });
    }
    storage = { source_root: source, files };
    log(`storage: ${files.length} files from ${source}`);
  }

  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    created_at: new Date().toISOString(),
    version: options.version,
    engine: db.engine,
    database: { path: dbName, bytes: dbHash.bytes, sha256: dbHash.sha256Hex },
    storage,
  };
  const problems = await verifyFiles(targetDir, manifest);
  if (problems.length > 0) throw new BackupInvalid(targetDir, problems);
  await writeJsonAtomic(join(targetDir, MANIFEST), manifest);
  const files = 1 + (storage?.files.length ?? 0);
  const bytes = dbHash.bytes + (storage?.files.reduce((sum, f) => sum + f.bytes, 0) ?? 0);
  return { dir: targetDir, files, bytes };
}

/** Hash and size of every listed file, and no file that the manifest does not list. */
async function verifyFiles(dir: string, manifest: BackupManifest): Promise<string[]> {
  const problems: string[] = [];
  const expected = [manifest.database, ...(manifest.storage?.files.map((f) => ({ ...f, path: `${STORAGE_DIR}/${f.path}` })) ?? [])];
  for (const entry of expected) {
    const parts = entry.path.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) {
      problems.push(`${entry.path}: not a plain relative path`);
      continue;
    }
    const path = join(dir, ...parts);
    const actual = await hashFile(path).catch(() => undefined);
    if (!actual) problems.push(`${entry.path}: missing`);
    else if (actual.bytes !== entry.bytes || actual.sha256Hex !== entry.sha256) problems.push(`${entry.path}: content differs from the manifest`);
  }
  const listed = new Set(expected.map((e) => e.path));
  for (const path of await listFiles(join(dir, STORAGE_DIR))) {
    const relativePath = rel(dir, path);
    if (!listed.has(relativePath)) problems.push(`${relativePath}: not in the manifest`);
  }
  return problems;
}

/** Reads and fully verifies a backup; throws `BackupInvalid` listing every problem. */
export async function verifyBackup(dir: string): Promise<BackupManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8'));
  } catch {
    throw new BackupInvalid(dir, [`${MANIFEST} is missing or not JSON (an interrupted backup has none)`]);
  }
  const parsed = BackupManifest.safeParse(raw);
  if (!parsed.success) throw new BackupInvalid(dir, [`${MANIFEST} is not a ${BACKUP_FORMAT} manifest: ${parsed.error.issues[0]?.message ?? 'invalid'}`]);
  const problems = await verifyFiles(dir, parsed.data);
  if (problems.length > 0) throw new BackupInvalid(dir, problems);
  return parsed.data;
}

export interface RestoreOptions {
  readonly settings: Settings;
  readonly backupDir: string;
  /** Replace a non-empty storage tree or an existing database (both are moved aside, not deleted). */
  readonly force: boolean;
  /** Whether the configured database already holds a schema (the command asks the database). */
  readonly databaseInUse: boolean;
  readonly toolEnv: ToolEnvironment;
  readonly log?: (line: string) => void;
  readonly now?: () => Date;
}

export interface RestoreSummary {
  readonly manifest: BackupManifest;
  /** Where the replaced data went (SQLite file, storage tree); PostgreSQL content is replaced in one transaction. */
  readonly movedAside: readonly string[];
}

/**
 * `lx-annotate restore <dir>`: verifies the whole backup before touching anything, stages the
 * storage copy beside the live tree (verifying each file again as it is copied), replaces the
 * database (PostgreSQL in one transaction; SQLite by rename), then swaps the staged tree in by
 * rename. Replaced data is moved to `*.pre-restore-<ts>`, never deleted. The services must be stopped.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreSummary> {
  const { settings, backupDir } = options;
  const log = options.log ?? (() => undefined);
  const manifest = await verifyBackup(backupDir);
  log(`backup verified: ${1 + (manifest.storage?.files.length ?? 0)} files match ${MANIFEST}`);
  const db = settings.database;
  if (manifest.engine !== db.engine) throw new OperationRefused(`the backup holds a ${manifest.engine} database, but this installation uses ${db.engine}`);
  const storageDir = settings.paths.storageDir;
  const liveFiles = manifest.storage ? (await listFiles(storageDir)).length : 0;
  if (!options.force && (liveFiles > 0 || options.databaseInUse)) {
    const held = [options.databaseInUse ? 'a database schema' : '', liveFiles > 0 ? `${liveFiles} stored files` : ''].filter((x) => x !== '').join(' and ');
    throw new OperationRefused(`the installation already holds data (${held}); stop the services and pass --force to replace it (the current data is moved aside, not deleted)`);
  }

  const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const suffix = `.pre-restore-${stamp}`;
  const staged = join(dirname(storageDir), `.${basename(storageDir)}.incoming-${stamp}`);
  // Run as root, restored files go to whoever owns the runtime root, or the services could not read them.
  const rootStat = await lstat(settings.paths.dataRoot).catch(() => undefined);
  const owner = process.geteuid?.() === 0 && rootStat ? { uid: rootStat.uid, gid: rootStat.gid } : undefined;
  const makeDir = async (dir: string): Promise<void> => {
    await mkdir(dir, { recursive: true, mode: 0o750 });
    if (owner) await chown(dir, owner.uid, owner.gid);
  };
  const movedAside: string[] = [];
  if (manifest.storage) {
    await rm(staged, { recursive: true, force: true });
    await makeDir(staged);
    for (const file of manifest.storage.files) {
      const parts = file.path.split('/');
      for (let depth = 1; depth < parts.length; depth += 1) await makeDir(join(staged, ...parts.slice(0, depth)));
      await copyFileDurably(join(backupDir, STORAGE_DIR, ...parts), join(staged, ...parts), { mode: 0o600, expectedSha256: file.sha256, ...(owner ? { owner } : {}) });
    }
    log(`storage staged at ${staged}`);
  }
  try {
    const dump = join(backupDir, manifest.database.path);
    if (db.engine === 'postgres') {
      await restorePostgres(db, dump, options.toolEnv);
      log(`database ${db.database} replaced in one transaction`);
    } else {
      const incoming = `${db.file}.incoming-${stamp}`;
      await copyFileDurably(dump, incoming, { mode: 0o600, expectedSha256: manifest.database.sha256, ...(owner ? { owner } : {}) });
      const aside = await moveSqliteAside(db.file, suffix);
      if (aside) movedAside.push(aside);
      await rename(incoming, db.file);
      log(`database ${db.file} replaced${aside ? ` (previous file: ${aside})` : ''}`);
    }
  } catch (error) {
    await rm(staged, { recursive: true, force: true });
    throw error;
  }
  if (manifest.storage) {
    if (existsSync(storageDir)) {
      await rename(storageDir, `${storageDir}${suffix}`);
      movedAside.push(`${storageDir}${suffix}`);
    }
    await rename(staged, storageDir);
    log(`storage tree replaced${existsSync(`${storageDir}${suffix}`) ? ` (previous tree: ${storageDir}${suffix})` : ''}`);
  }
  return { manifest, movedAside };
}

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { PostgresConfig, SqliteConfig } from '../../config/index.js';

/** PATH (and friends) for the PostgreSQL client tools; handed in by the command, which may read the environment. */
export type ToolEnvironment = Readonly<Record<string, string>>;

/** A PostgreSQL client tool failed; the message carries its stderr, which never holds the password. */
export class DatabaseToolError extends Error {
  override readonly name = 'DatabaseToolError';
}

function run(command: string, args: readonly string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? `${command} is not installed (Debian package postgresql-client)` : `${command} failed: ${stderr.trim().split('\n').slice(-5).join(' | ') || error.message}`;
      reject(new DatabaseToolError(why));
    });
  });
}

const passField = (value: string): string => value.replace(/([\\:])/g, '\\$1');

/**
 * Runs `fn` with libpq variables selecting the configured database. The password goes into a
 * private PGPASSFILE (0600, removed afterwards), never onto a command line or into the environment.
 */
async function withPgEnvironment<T>(config: PostgresConfig, base: ToolEnvironment, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'lx-pg-'));
  try {
    const env: Record<string, string> = {
      ...base,
      PGHOST: config.host,
      PGPORT: String(config.port),
      PGUSER: config.user,
      PGDATABASE: config.database,
      PGSSLMODE: config.sslMode,
      PGCONNECT_TIMEOUT: '15',
      PGAPPNAME: 'lx-annotate-backup',
    };
    if (config.sslRootCert) env.PGSSLROOTCERT = config.sslRootCert;
    const password = config.password?.reveal();
    if (password !== undefined) {
      const passFile = join(dir, 'pgpass');
      await writeFile(passFile, `${[config.host, String(config.port), config.database, config.user, password].map(passField).join(':')}\n`, { mode: 0o600 });
      env.PGPASSFILE = passFile;
    }
    return await fn(env);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** SQLite's online backup API: a consistent copy while the web, worker and watcher keep writing. */
export async function snapshotSqlite(config: SqliteConfig, destination: string): Promise<void> {
  if (!existsSync(config.file)) throw new DatabaseToolError(`the SQLite database ${config.file} does not exist`);
  const db = new SQLite(config.file, { readonly: true, fileMustExist: true });
  try {
    await db.backup(destination);
  } finally {
    db.close();
  }
  await chmod(destination, 0o600);
}

/** `pg_dump --format=custom`: one consistent snapshot (a single repeatable-read transaction). */
export async function snapshotPostgres(config: PostgresConfig, destination: string, base: ToolEnvironment): Promise<void> {
  await withPgEnvironment(config, base, (env) => run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', '--file', destination], env));
  await chmod(destination, 0o600);
}

/** Drops every user schema, so that tables a newer migration created cannot survive the restore. */
const RESET_SCHEMAS_SQL = `DO $$
DECLARE s text;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$;
CREATE SCHEMA public;
`;

/**
 * Replaces the database content with the dump in ONE transaction (psql --single-transaction with
 * ON_ERROR_STOP): either the whole backup is in place or nothing changed. Needs the role that owns
 * the schemas (the one that ran the migrations).
 */
export async function restorePostgres(config: PostgresConfig, dump: string, base: ToolEnvironment): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lx-pg-restore-'));
  try {
    const reset = join(dir, 'reset.sql');
    const content = join(dir, 'content.sql');
    await writeFile(reset, RESET_SCHEMAS_SQL, { mode: 0o600 });
    await withPgEnvironment(config, base, async (env) => {
      await run('pg_restore', ['--no-owner', '--no-privileges', '--file', content, dump], env);
      await run('psql', ['--no-psqlrc', '--quiet', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '--file', reset, '--file', content], env);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Moves the live SQLite file and its WAL/SHM companions aside (renames; nothing is deleted). */
export async function moveSqliteAside(file: string, suffix: string): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  for (const companion of ['-wal', '-shm']) {
    if (existsSync(`${file}${companion}`)) await rename(`${file}${companion}`, `${file}${suffix}${companion}`);
  }
  await rename(file, `${file}${suffix}`);
  return `${file}${suffix}`;
}

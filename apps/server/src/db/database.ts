import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig, PostgresConfig } from '../config/index.js';
import type { DB } from './schema.js';
import { SqliteBooleanPlugin } from './sqlite-boolean-plugin.js';

export type Db = Kysely<DB>;

const PG_INT8 = 20;
const PG_TIMESTAMP = 1114;
const PG_TIMESTAMPTZ = 1184;

/** One result shape on both engines: bigint counts as numbers, timestamps as ISO-8601 UTC text. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === PG_INT8) return (value: string) => Number(value);
    if (oid === PG_TIMESTAMPTZ) return (value: string) => new Date(value).toISOString();
    if (oid === PG_TIMESTAMP) return (value: string) => new Date(`${value}Z`).toISOString();
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

export function postgresPoolConfig(config: PostgresConfig, max = 10): pg.PoolConfig {
  let ssl: pg.PoolConfig['ssl'] = false;
  if (config.sslMode !== 'disable') {
    ssl = {
      rejectUnauthorized: config.sslMode === 'verify-ca' || config.sslMode === 'verify-full',
      ...(config.sslRootCert ? { ca: readFileSync(config.sslRootCert, 'utf8') } : {}),
      ...(config.sslMode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  return {
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    password: config.password?.reveal(),
    ssl,
    max,
    types: pgTypes,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 60_000,
    application_name: 'lx-annotate',
  };
}

/**
 * Opens the configured database. SQLite runs in WAL mode with foreign keys and a
 * busy timeout so that api, worker and watcher processes on one host can share it.
 */
export function createDatabase(config: DatabaseConfig, options: { poolSize?: number } = {}): Db {
  if (config.engine === 'sqlite') {
    mkdirSync(dirname(config.file), { recursive: true, mode: 0o750 });
    // The database holds patient data: create it private (SQLite's -wal/-shm files copy this mode).
    closeSync(openSync(config.file, 'a', 0o600));
    const sqlite = new SQLite(config.file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 10000');
    return new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }), plugins: [new SqliteBooleanPlugin()] });
  }
  const pool = new pg.Pool(postgresPoolConfig(config, options.poolSize));
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => undefined);
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

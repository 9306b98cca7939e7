import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseConfig, PostgresConfig } from '../../src/config/index.js';
import { createDatabase, migrateToLatest, type Db } from '../../src/db/index.js';

export const ENGINES = ['sqlite', 'postgres'] as const;
export type TestEngine = (typeof ENGINES)[number];

/** Superuser URL of the test PostgreSQL server (set by `npm test`). */
export function testPgUrl(): string {
  return process.env.LX_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface TestDatabase {
  readonly engine: TestEngine;
  readonly config: DatabaseConfig;
  /** Env variables that select this database (for CLI and process tests). */
  readonly env: Record<string, string>;
  readonly db: Db;
  dispose(): Promise<void>;
}

function pgConfigFromUrl(url: string, database: string): PostgresConfig {
  const u = new URL(url);
  return {
    engine: 'postgres',
    host: u.hostname,
    port: Number(u.port || 5432),
    database,
    user: decodeURIComponent(u.username),
    password: undefined,
    sslMode: 'disable',
    sslRootCert: undefined,
    via: 'test',
  };
}

/** A fresh, empty database of the given engine: a temp SQLite file or a new PostgreSQL database. */
export async function createTestDatabase(engine: TestEngine, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'lx-db-'));
    const config: DatabaseConfig = { engine: 'sqlite', file: join(dir, 'test.sqlite3'), via: 'test' };
    const db = createDatabase(config);
    if (options.migrate !== false) await migrateToLatest(db);
    return {
      engine,
      config,
      env: { DATABASE_URL: `sqlite://${config.file}` },
      db,
      async dispose() {
        await db.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const admin = new pg.Client({ connectionString: testPgUrl() });
  await admin.connect();
  const name = `lx_t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const config = pgConfigFromUrl(testPgUrl(), name);
  const db = createDatabase(config, { poolSize: 5 });
  if (options.migrate !== false) await migrateToLatest(db);
  const u = new URL(testPgUrl());
  u.pathname = `/${name}`;
  u.searchParams.set('sslmode', 'disable');
  return {
    engine,
    config,
    env: { DATABASE_URL: u.toString() },
    db,
    async dispose() {
      await db.destroy();
      const c = new pg.Client({ connectionString: testPgUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import * as m0001 from './migrations/0001-core.js';
import * as m0002 from './migrations/0002-jobs.js';
import * as m0003 from './migrations/0003-auth.js';
import * as m0004 from './migrations/0004-ingest.js';
import * as m0005 from './migrations/0005-pseudonymization.js';
import * as m0006 from './migrations/0006-video-processing.js';
import * as m0007 from './migrations/0007-pdf-validation.js';
import * as m0008 from './migrations/0008-segments.js';
import * as m0009 from './migrations/0009-hub.js';
import * as m0010 from './migrations/0010-hub-state-changes.js';

/** Every migration, in order. Bundled statically so that the release artifact needs no directory scan. */
const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-core': m0001,
  '0002-jobs': m0002,
  '0003-auth': m0003,
  '0004-ingest': m0004,
  '0005-pseudonymization': m0005,
  '0006-video-processing': m0006,
  '0007-pdf-validation': m0007,
  '0008-segments': m0008,
  '0009-hub': m0009,
  '0010-hub-state-changes': m0010,
};

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return { ...MIGRATIONS };
  }
}

function migratorFor(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider: new StaticProvider(),
    migrationTableName: 'lx_schema_migrations',
    migrationLockTableName: 'lx_schema_migrations_lock',
  });
}

export interface SchemaStatus {
  readonly applied: readonly string[];
  readonly pending: readonly string[];
  /** Migrations recorded in the database that this release does not know: a newer release ran here. */
  readonly unknown: readonly string[];
}

export async function schemaStatus(db: Kysely<any>): Promise<SchemaStatus> {
  const migrations = await migratorFor(db).getMigrations();
  const applied = migrations.filter((m) => m.executedAt !== undefined).map((m) => m.name);
  const pending = migrations.filter((m) => m.executedAt === undefined).map((m) => m.name);
  let unknown: string[];
  try {
    const rows = await db.selectFrom('lx_schema_migrations').select('name').execute();
    unknown = rows.map((r: { name: string }) => r.name).filter((n: string) => !(n in MIGRATIONS));
  } catch {
    // No migration table yet: nothing can be unknown.
    unknown = [];
  }
  return { applied, pending, unknown };
}

export class MigrationFailed extends Error {
  constructor(readonly migration: string | undefined, override readonly cause: unknown) {
    super(`migration ${migration ?? '(unknown)'} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'MigrationFailed';
  }
}

/** Applies every pending migration; each runs in its own transaction on PostgreSQL and SQLite. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results }: MigrationResultSet = await migratorFor(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationFailed(failed?.migrationName, error);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

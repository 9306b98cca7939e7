import { sql, type Kysely } from 'kysely';
import { columnTypes, engineOf } from '../dialect.js';

/**
 * The embedded job queue (`jobs/sqlite-queue.ts`). On PostgreSQL jobs live in
 * pg-boss's own schema; the table is created there too so that one migration set
 * describes both engines, and it simply stays empty.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(engineOf(db));

  await db.schema
    .createTable('jobs')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('queue', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('payload', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('center_id', 'integer')
    .addColumn('dedupe_key', 'varchar(255)')
    .addColumn('run_at', t.timestamp, (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('retry_limit', 'integer', (c) => c.notNull())
    .addColumn('backoff_seconds', 'integer', (c) => c.notNull())
    .addColumn('max_backoff_seconds', 'integer', (c) => c.notNull())
    .addColumn('lease_seconds', 'integer', (c) => c.notNull())
    // Fencing token of the current claim: a worker that lost its lease cannot complete or fail the job.
    .addColumn('lock_token', 'varchar(64)')
    .addColumn('locked_by', 'varchar(255)')
    .addColumn('locked_until', t.timestamp)
    .addColumn('last_error', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('started_at', t.timestamp)
    .addColumn('completed_at', t.timestamp)
    .addColumn('failed_at', t.timestamp)
    .addColumn('cancelled_at', t.timestamp)
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addCheckConstraint('jobs_state_known', sql`state IN ('queued', 'active', 'completed', 'failed', 'retry', 'cancelled')`)
    .execute();
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['queue', 'state', 'run_at']).execute();
  await db.schema.createIndex('jobs_created').on('jobs').column('created_at').execute();
  // One pending or running job per (queue, dedupe key); finished jobs never block a new one.
  await sql`CREATE UNIQUE INDEX jobs_dedupe ON jobs (queue, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'retry', 'active')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('jobs').execute();
}

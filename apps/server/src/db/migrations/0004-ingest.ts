import type { Kysely } from 'kysely';
import { columnTypes, engineOf } from '../dialect.js';

/**
 * Dismissal of failed upload jobs: a clinician acknowledges a failed import so it
 * leaves the warning lists. The row and its quarantined file stay (audit trail and
 * review); only these two columns record who dismissed it and when.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(engineOf(db));
  await db.schema.alterTable('upload_jobs').addColumn('dismissed_at', t.timestamp).execute();
  await db.schema.alterTable('upload_jobs').addColumn('dismissed_by', 'varchar(255)').execute();
  await db.schema.createIndex('upload_jobs_center_status').on('upload_jobs').columns(['source_center_id', 'status']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('upload_jobs_center_status').ifExists().execute();
  await db.schema.alterTable('upload_jobs').dropColumn('dismissed_by').execute();
  await db.schema.alterTable('upload_jobs').dropColumn('dismissed_at').execute();
}

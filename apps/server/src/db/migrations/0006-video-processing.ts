import type { Kysely } from 'kysely';
import { columnTypes, engineOf, idColumnType } from '../dialect.js';

/**
 * Video processing: the processing history (every anonymization, frame removal, release
 * gate and HLS run with its config, output, progress and duration), the encrypted HLS
 * artifacts (one per video and kind, content key stored only wrapped under the master
 * key), and a lease per media file so that two runs never work on one file at once
 * (`processing_locked`, `clear-locks`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  const t = columnTypes(engine);
  await db.schema
    .createTable('video_processing_history')
    .addColumn('id', idColumnType(engine), (c) => c.primaryKey())
    .addColumn('video_file_id', 'integer', (c) => c.notNull().references('video_files.id').onDelete('cascade'))
    .addColumn('operation', 'varchar(32)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('config', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('output', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('error_detail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('progress', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('progress_step', 'varchar(64)', (c) => c.notNull().defaultTo(''))
    .addColumn('output_file', 'varchar(1024)')
    .addColumn('task_id', 'varchar(64)')
    .addColumn('started_at', t.timestamp, (c) => c.notNull())
    .addColumn('finished_at', t.timestamp)
    .addColumn('duration_ms', 'integer')
    .execute();
  await db.schema.createIndex('video_processing_history_video').on('video_processing_history').columns(['video_file_id', 'id']).execute();

  await db.schema
    .createTable('video_hls_artifacts')
    .addColumn('id', idColumnType(engine), (c) => c.primaryKey())
    .addColumn('video_file_id', 'integer', (c) => c.notNull().references('video_files.id').onDelete('cascade'))
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('key_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('wrapped_key', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('iv_hex', 'varchar(32)', (c) => c.notNull().defaultTo(''))
    .addColumn('playlist_relative_path', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
    .addColumn('segment_directory_relative_path', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
    .addColumn('segment_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('source_sha256', 'varchar(64)', (c) => c.notNull().defaultTo(''))
    .addColumn('last_error', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('video_hls_artifacts_video_kind', ['video_file_id', 'kind'])
    .execute();

  await db.schema
    .createTable('media_operation_leases')
    .addColumn('media_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('media_id', 'integer', (c) => c.notNull())
    .addColumn('operation', 'varchar(32)', (c) => c.notNull())
    .addColumn('owner', 'varchar(64)', (c) => c.notNull())
    .addColumn('acquired_at', t.timestamp, (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addPrimaryKeyConstraint('media_operation_leases_pk', ['media_type', 'media_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['media_operation_leases', 'video_hls_artifacts', 'video_processing_history']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}

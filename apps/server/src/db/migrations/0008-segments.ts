import { sql, type Kysely } from 'kysely';
import { columnTypes, engineOf, idColumnType } from '../dialect.js';

/**
 * Video segments and the AI side (reference-features §6):
 * - `label_video_segments`: one labelled frame range of a video. `start_frame_number` is
 *   inclusive, `end_frame_number` exclusive (the original selects a segment's frames with
 *   `frame_number >= start AND frame_number < end`); frame numbers are the exact decoded
 *   frame index. `version` is bumped on every change (optimistic concurrency).
 * - `ai_models` → `model_meta` (one registered weights file with its label set and
 *   preprocessing) → `video_prediction_meta` (one inference run over one video).
 * - `video_segment_status`: the per-video post-validation state
 *   (`not_started → cleanup_queued → cleanup_running → validated | cleanup_failed`).
 * - `video_frame_indexes`: the decoded frame timestamps of a video's processed file,
 *   cached so that seconds and frame numbers convert without decoding again.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  const t = columnTypes(engine);
  const id = idColumnType(engine);

  await db.schema
    .createTable('ai_models')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('model_type', 'varchar(64)', (c) => c.notNull().defaultTo('image_multilabel_classification'))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('model_meta')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('ai_model_id', 'integer', (c) => c.notNull().references('ai_models.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('labelset_id', 'integer', (c) => c.notNull().references('label_sets.id').onDelete('restrict'))
    .addColumn('weights_file', 'varchar(1024)', (c) => c.notNull())
    .addColumn('weights_sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('input_width', 'integer', (c) => c.notNull())
    .addColumn('input_height', 'integer', (c) => c.notNull())
    .addColumn('mean', t.json, (c) => c.notNull())
    .addColumn('std', t.json, (c) => c.notNull())
    .addColumn('activation', 'varchar(16)', (c) => c.notNull().defaultTo('sigmoid'))
    .addColumn('batch_size', 'integer', (c) => c.notNull().defaultTo(8))
    .addColumn('output_labels', t.json, (c) => c.notNull())
    .addColumn('is_active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addUniqueConstraint('model_meta_model_version', ['ai_model_id', 'version'])
    .execute();

  await db.schema
    .createTable('video_prediction_meta')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('video_file_id', 'integer', (c) => c.notNull().references('video_files.id').onDelete('cascade'))
    .addColumn('model_meta_id', 'integer', (c) => c.notNull().references('model_meta.id').onDelete('restrict'))
    .addColumn('frame_count', 'integer', (c) => c.notNull())
    .addColumn('frame_stride', 'integer', (c) => c.notNull())
    .addColumn('sampled_frames', 'integer', (c) => c.notNull())
    .addColumn('smoothing_window_seconds', 'double precision', (c) => c.notNull())
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('label_summary', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('video_prediction_meta_video').on('video_prediction_meta').columns(['video_file_id', 'id']).execute();

  await db.schema
    .createTable('label_video_segments')
    // SQLite would hand a deleted segment's id to the next one without AUTOINCREMENT; clients hold ids across saves.
    .addColumn('id', id, (c) => (engine === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('video_file_id', 'integer', (c) => c.notNull().references('video_files.id').onDelete('cascade'))
    .addColumn('label_id', 'integer', (c) => c.notNull().references('labels.id').onDelete('restrict'))
    .addColumn('start_frame_number', 'integer', (c) => c.notNull())
    .addColumn('end_frame_number', 'integer', (c) => c.notNull())
    .addColumn('source_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('segment_origin', 'varchar(16)', (c) => c.notNull())
    .addColumn('prediction_meta_id', 'integer', (c) => c.references('video_prediction_meta.id').onDelete('set null'))
    .addColumn('annotator', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('created_by', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('export_segment', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('is_validated', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('validated_by', 'varchar(255)')
    .addColumn('validated_at', t.timestamp)
    .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .addCheckConstraint('label_video_segments_range', sql`start_frame_number >= 0 AND end_frame_number > start_frame_number`)
    .addCheckConstraint('label_video_segments_origin', sql`segment_origin IN ('manual', 'prediction')`)
    .execute();
  await db.schema.createIndex('label_video_segments_video').on('label_video_segments').columns(['video_file_id', 'segment_origin', 'start_frame_number']).execute();

  await db.schema
    .createTable('video_segment_status')
    .addColumn('video_file_id', 'integer', (c) => c.primaryKey().references('video_files.id').onDelete('cascade'))
    .addColumn('status', 'varchar(32)', (c) => c.notNull().defaultTo('not_started'))
    .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('only_validated', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('job_id', 'varchar(64)')
    .addColumn('blackened_frames', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('requested_by', 'varchar(255)')
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('video_frame_indexes')
    .addColumn('video_file_id', 'integer', (c) => c.primaryKey().references('video_files.id').onDelete('cascade'))
    .addColumn('source_file', 'varchar(1024)', (c) => c.notNull())
    .addColumn('source_sha256', 'varchar(64)', (c) => c.notNull())
    .addColumn('time_base_num', 'integer', (c) => c.notNull())
    .addColumn('time_base_den', 'integer', (c) => c.notNull())
    .addColumn('frame_count', 'integer', (c) => c.notNull())
    .addColumn('pts_runs', t.json, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['video_frame_indexes', 'video_segment_status', 'label_video_segments', 'video_prediction_meta', 'model_meta', 'ai_models']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}

import { sql, type Kysely } from 'kysely';
import { columnTypes, engineOf, idColumnType } from '../dialect.js';

/**
 * Core tables. Timestamps are ISO-8601 UTC (timestamptz on PostgreSQL, text on
 * SQLite), JSON is text on both, booleans are boolean (0/1 on SQLite).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  const t = columnTypes(engine);
  const id = idColumnType(engine);

  await db.schema
    .createTable('centers')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('display_name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('center_key', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('examiners')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('first_name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('last_name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('center_id', 'integer', (c) => c.references('centers.id').onDelete('restrict'))
    .addColumn('examiner_hash', 'varchar(64)')
    .addColumn('is_real_person', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('patients')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('first_name', 'varchar(255)')
    .addColumn('last_name', 'varchar(255)')
    .addColumn('dob', 'varchar(10)')
    .addColumn('gender', 'varchar(32)')
    .addColumn('center_id', 'integer', (c) => c.references('centers.id').onDelete('restrict'))
    .addColumn('email', 'varchar(255)')
    .addColumn('phone', 'varchar(64)')
    .addColumn('patient_hash', 'varchar(64)', (c) => c.unique())
    .addColumn('is_real_person', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('endoscopy_processors')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('image_width', 'integer', (c) => c.notNull())
    .addColumn('image_height', 'integer', (c) => c.notNull())
    .addColumn('endoscope_image_x', 'integer', (c) => c.notNull())
    .addColumn('endoscope_image_y', 'integer', (c) => c.notNull())
    .addColumn('endoscope_image_width', 'integer', (c) => c.notNull())
    .addColumn('endoscope_image_height', 'integer', (c) => c.notNull())
    .addColumn('overlay_rois', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('geometry_source', 'varchar(32)', (c) => c.notNull().defaultTo('preset'))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('examinations')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('labels')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('label_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('label_sets')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addUniqueConstraint('label_sets_name_version', ['name', 'version'])
    .execute();

  await db.schema
    .createTable('label_set_labels')
    .addColumn('label_set_id', 'integer', (c) => c.notNull().references('label_sets.id').onDelete('cascade'))
    .addColumn('label_id', 'integer', (c) => c.notNull().references('labels.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('label_set_labels_pk', ['label_set_id', 'label_id'])
    .execute();

  await db.schema
    .createTable('sensitive_meta')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('center_id', 'integer', (c) => c.references('centers.id').onDelete('restrict'))
    .addColumn('examination_date', 'varchar(10)')
    .addColumn('examination_time', 'varchar(8)')
    .addColumn('casenumber', 'varchar(255)')
    .addColumn('patient_first_name', 'varchar(255)')
    .addColumn('patient_last_name', 'varchar(255)')
    .addColumn('patient_dob', 'varchar(10)')
    .addColumn('patient_gender', 'varchar(32)')
    .addColumn('examiner_first_name', 'varchar(255)')
    .addColumn('examiner_last_name', 'varchar(255)')
    .addColumn('patient_hash', 'varchar(64)')
    .addColumn('examination_hash', 'varchar(64)')
    .addColumn('endoscope_type', 'varchar(255)')
    .addColumn('endoscope_sn', 'varchar(255)')
    .addColumn('external_id', 'varchar(255)')
    .addColumn('text', 'text')
    .addColumn('anonymized_text', 'text')
    .addColumn('field_confidence', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('pseudo_patient_id', 'integer', (c) => c.references('patients.id').onDelete('set null'))
    .addColumn('pseudo_examination_id', 'integer')
    .addColumn('validation_comment', 'text')
    .addColumn('dob_verified', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('names_verified', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('direct_identifier_policy', 'varchar(64)', (c) => c.notNull().defaultTo('retain'))
    .addColumn('tombstone', t.json)
    .addColumn('cleared_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sensitive_meta_patient_hash').on('sensitive_meta').column('patient_hash').execute();

  await db.schema
    .createTable('upload_jobs')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('file', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
    .addColumn('content_type', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('source_center_id', 'integer', (c) => c.references('centers.id').onDelete('restrict'))
    .addColumn('source_system', 'varchar(255)', (c) => c.notNull().defaultTo('api'))
    .addColumn('content_hash', 'varchar(64)', (c) => c.notNull().defaultTo(''))
    .addColumn('idempotency_key', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('ingest_mode', 'varchar(16)', (c) => c.notNull().defaultTo('api'))
    .addColumn('original_filename', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
    .addColumn('processing_provenance', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('storage_class', 'varchar(16)', (c) => c.notNull().defaultTo('ingest'))
    .addColumn('storage_tier', 'varchar(32)', (c) => c.notNull().defaultTo('upload_api'))
    .addColumn('retention_policy', 'varchar(32)', (c) => c.notNull().defaultTo('preserve_source'))
    .addColumn('source_file_persisted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('source_file_delete_eligible_at', t.timestamp)
    .addColumn('cleanup_status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
    .addColumn('created_by', 'varchar(255)')
    .addColumn('sensitive_meta_id', 'integer', (c) => c.references('sensitive_meta.id').onDelete('set null'))
    .addColumn('error_detail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('upload_jobs_content_hash').on('upload_jobs').column('content_hash').execute();
  await db.schema.createIndex('upload_jobs_status').on('upload_jobs').column('status').execute();
  // Partial uniqueness of §3.3: failed and lost jobs never block a new upload.
  await sql`CREATE UNIQUE INDEX upload_jobs_unique_content ON upload_jobs (source_center_id, content_type, content_hash)
    WHERE content_hash <> '' AND status NOT IN ('error', 'lost')`.execute(db);
  await sql`CREATE UNIQUE INDEX upload_jobs_unique_idempotency ON upload_jobs
    (source_center_id, source_system, ingest_mode, storage_class, storage_tier, idempotency_key)
    WHERE idempotency_key <> '' AND status NOT IN ('error', 'lost')`.execute(db);

  await db.schema
    .createTable('video_files')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('uuid', t.uuid, (c) => c.notNull().unique())
    .addColumn('center_id', 'integer', (c) => c.notNull().references('centers.id').onDelete('restrict'))
    .addColumn('processor_id', 'integer', (c) => c.references('endoscopy_processors.id').onDelete('set null'))
    .addColumn('raw_file', 'varchar(1024)')
    .addColumn('processed_file', 'varchar(1024)')
    .addColumn('video_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('processed_video_hash', 'varchar(64)')
    .addColumn('original_file_name', 'varchar(1024)')
    .addColumn('uploaded_at', t.timestamp, (c) => c.notNull())
    .addColumn('fps', 'double precision')
    .addColumn('duration_seconds', 'double precision')
    .addColumn('frame_count', 'integer')
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('examination_date', 'varchar(10)')
    .addColumn('patient_id', 'integer', (c) => c.references('patients.id').onDelete('set null'))
    .addColumn('patient_examination_id', 'integer')
    .addColumn('sensitive_meta_id', 'integer', (c) => c.unique().references('sensitive_meta.id').onDelete('set null'))
    .addColumn('upload_job_id', t.uuid, (c) => c.references('upload_jobs.id').onDelete('set null'))
    .addColumn('storage_mode', 'varchar(32)', (c) => c.notNull().defaultTo('encrypted'))
    .addColumn('raw_streamable_relative_path', 'varchar(1024)')
    .addColumn('processed_streamable_relative_path', 'varchar(1024)')
    .addColumn('sequences', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('video_files_center').on('video_files').column('center_id').execute();

  const flags = [
    'frames_extracted', 'frames_initialized', 'video_meta_extracted', 'text_meta_extracted',
    'initial_prediction_completed', 'lvs_created', 'frame_annotations_generated', 'sensitive_meta_processed',
    'anonymized', 'anonymization_validated', 'processing_started', 'processing_error',
    'segment_annotations_created', 'segment_annotations_validated', 'outside_segments_removed', 'ready_for_export',
  ];
  let videoStates = db.schema
    .createTable('video_states')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('video_file_id', 'integer', (c) => c.notNull().unique().references('video_files.id').onDelete('cascade'));
  for (const flag of flags) videoStates = videoStates.addColumn(flag, 'boolean', (c) => c.notNull().defaultTo(false));
  await videoStates
    .addColumn('ready_for_export_at', t.timestamp)
    .addColumn('ready_for_export_by', 'varchar(255)')
    .addColumn('processed_file_sha256', 'varchar(64)')
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('pdf_files')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('uuid', t.uuid, (c) => c.notNull().unique())
    .addColumn('center_id', 'integer', (c) => c.notNull().references('centers.id').onDelete('restrict'))
    .addColumn('file', 'varchar(1024)')
    .addColumn('processed_file', 'varchar(1024)')
    .addColumn('pdf_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('original_file_name', 'varchar(1024)')
    .addColumn('text', 'text')
    .addColumn('anonymized_text', 'text')
    .addColumn('raw_meta', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('patient_id', 'integer', (c) => c.references('patients.id').onDelete('set null'))
    .addColumn('patient_examination_id', 'integer')
    .addColumn('examiner_id', 'integer', (c) => c.references('examiners.id').onDelete('set null'))
    .addColumn('pdf_type', 'varchar(255)')
    .addColumn('document_type', 'varchar(255)')
    .addColumn('sensitive_meta_id', 'integer', (c) => c.unique().references('sensitive_meta.id').onDelete('set null'))
    .addColumn('upload_job_id', t.uuid, (c) => c.references('upload_jobs.id').onDelete('set null'))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('pdf_files_center').on('pdf_files').column('center_id').execute();

  let pdfStates = db.schema
    .createTable('pdf_states')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('pdf_file_id', 'integer', (c) => c.notNull().unique().references('pdf_files.id').onDelete('cascade'));
  for (const flag of ['text_meta_extracted', 'pdf_meta_extracted', 'sensitive_meta_processed', 'anonymized', 'anonymization_validated', 'processing_started', 'processing_error']) {
    pdfStates = pdfStates.addColumn(flag, 'boolean', (c) => c.notNull().defaultTo(false));
  }
  await pdfStates
    .addColumn('processed_file_sha256', 'varchar(64)')
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_ledger')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('sequence', 'integer', (c) => c.notNull().unique())
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('actor', 'varchar(255)')
    .addColumn('center_id', 'integer')
    .addColumn('object_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('object_pk', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('action', 'varchar(255)', (c) => c.notNull())
    .addColumn('data', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('prev_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('hash', 'varchar(64)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_ledger_object').on('audit_ledger').columns(['object_type', 'object_pk']).execute();

  await db.schema
    .createTable('ledger_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('application_settings')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('center_id', 'integer', (c) => c.references('centers.id').onDelete('set null'))
    .addColumn('processor_id', 'integer', (c) => c.references('endoscopy_processors.id').onDelete('set null'))
    .addColumn('annotator_name', 'varchar(255)')
    .addColumn('report_template_name', 'varchar(255)')
    .addColumn('ai_dataset_name', 'varchar(255)')
    .addColumn('ai_dataset_type', 'varchar(64)')
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'application_settings', 'ledger_head', 'audit_ledger', 'pdf_states', 'pdf_files', 'video_states', 'video_files',
    'upload_jobs', 'sensitive_meta', 'label_set_labels', 'label_sets', 'labels', 'examinations',
    'endoscopy_processors', 'patients', 'examiners', 'centers',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}

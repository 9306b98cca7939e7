import type { Kysely } from 'kysely';
import { columnTypes, engineOf, idColumnType } from '../dialect.js';

/**
 * The original has no fixed list of document types (rows are created by its
 * admin); this seed is our own German/English set of the report kinds an
 * endoscopy unit imports. Names are machine keys, `display_name` is German.
 */
export const SEEDED_DOCUMENT_TYPES: readonly { name: string; display_name: string }[] = [
  { name: 'endoscopy_report', display_name: 'Endoskopiebefund' },
  { name: 'colonoscopy_report', display_name: 'Koloskopiebefund' },
  { name: 'gastroscopy_report', display_name: 'Gastroskopiebefund' },
  { name: 'ercp_report', display_name: 'ERCP-Befund' },
  { name: 'endosonography_report', display_name: 'Endosonographiebefund' },
  { name: 'histology_report', display_name: 'Histologiebefund' },
  { name: 'pathology_report', display_name: 'Pathologiebefund' },
  { name: 'discharge_letter', display_name: 'Arztbrief / Entlassbrief' },
  { name: 'referral', display_name: 'Überweisung' },
  { name: 'consent_form', display_name: 'Einwilligungserklärung' },
  { name: 'lab_report', display_name: 'Laborbefund' },
  { name: 'other', display_name: 'Sonstiges Dokument' },
];

/**
 * Report PDF processing and human validation: the per-file processing history
 * (import, redaction, release gate, reimport; never identifier values), the
 * document types of the validation form, the validation metrics with their
 * per-field before/after comparison, validation tags on SensitiveMeta, the
 * processed version counter and release-gate status of a PDF. Processing locks
 * are the `media_operation_leases` of migration 0006.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  const t = columnTypes(engine);
  const id = idColumnType(engine);

  await db.schema
    .createTable('pdf_processing_history')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('pdf_file_id', 'integer', (c) => c.notNull().references('pdf_files.id').onDelete('cascade'))
    .addColumn('center_id', 'integer', (c) => c.notNull().references('centers.id').onDelete('restrict'))
    .addColumn('operation', 'varchar(32)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('config', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('output', t.json, (c) => c.notNull().defaultTo('{}'))
    .addColumn('error_detail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('processed_version', 'integer')
    .addColumn('output_sha256', 'varchar(64)')
    .addColumn('actor', 'varchar(255)')
    .addColumn('started_at', t.timestamp, (c) => c.notNull())
    .addColumn('finished_at', t.timestamp)
    .addColumn('duration_ms', 'integer')
    .execute();
  await db.schema.createIndex('pdf_processing_history_pdf').on('pdf_processing_history').column('pdf_file_id').execute();

  await db.schema
    .createTable('document_types')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
    .execute();
  await db.insertInto('document_types').values(SEEDED_DOCUMENT_TYPES.map((d) => ({ ...d }))).execute();

  await db.schema
    .createTable('anonymization_validation_metrics')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('center_id', 'integer', (c) => c.notNull().references('centers.id').onDelete('restrict'))
    .addColumn('media_type', 'varchar(8)', (c) => c.notNull())
    .addColumn('media_id', 'integer', (c) => c.notNull())
    .addColumn('sensitive_meta_id', 'integer', (c) => c.references('sensitive_meta.id').onDelete('set null'))
    .addColumn('document_type', 'varchar(255)')
    .addColumn('source_system', 'varchar(255)')
    .addColumn('no_more_names_confirmed', 'varchar(16)', (c) => c.notNull().defaultTo('unknown'))
    .addColumn('fields_total', 'integer', (c) => c.notNull())
    .addColumn('fields_changed', 'integer', (c) => c.notNull())
    .addColumn('validated_by', 'varchar(255)')
    .addColumn('validated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('anonymization_validation_metrics_media').on('anonymization_validation_metrics').columns(['media_type', 'media_id']).execute();

  await db.schema
    .createTable('anonymization_field_metrics')
    .addColumn('id', id, (c) => c.primaryKey())
    .addColumn('metric_id', 'integer', (c) => c.notNull().references('anonymization_validation_metrics.id').onDelete('cascade'))
    .addColumn('field_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('present_before', 'boolean', (c) => c.notNull())
    .addColumn('present_after', 'boolean', (c) => c.notNull())
    .addColumn('changed', 'boolean', (c) => c.notNull())
    .addColumn('exact_match', 'boolean', (c) => c.notNull())
    .addColumn('similarity', 'double precision', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('anonymization_field_metrics_metric').on('anonymization_field_metrics').column('metric_id').execute();

  await db.schema.alterTable('sensitive_meta').addColumn('validation_tags', t.json, (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('pdf_files').addColumn('processed_version', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('pdf_files').addColumn('gate_status', 'varchar(16)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pdf_files').dropColumn('gate_status').execute();
  await db.schema.alterTable('pdf_files').dropColumn('processed_version').execute();
  await db.schema.alterTable('sensitive_meta').dropColumn('validation_tags').execute();
  for (const table of ['anonymization_field_metrics', 'anonymization_validation_metrics', 'document_types', 'pdf_processing_history']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}

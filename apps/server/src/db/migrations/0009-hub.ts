import type { Kysely } from 'kysely';
import { columnTypes, engineOf, idColumnType } from '../dialect.js';

/**
 * Hub transfer: the network nodes this installation knows (the hub's senders, or a site's own
 * node and its hub), the receiver's transfer jobs (central_hub) and the sender's outbound ledger
 * (site nodes). Node secrets are stored only as scrypt hashes.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  const t = columnTypes(engine);
  await db.schema
    .createTable('network_nodes')
    .addColumn('id', idColumnType(engine), (c) => c.primaryKey())
    .addColumn('node_key', 'varchar(100)', (c) => c.notNull().unique())
    .addColumn('display_name', 'varchar(255)', (c) => c.notNull())
    .addColumn('role', 'varchar(32)', (c) => c.notNull())
    .addColumn('base_url', 'varchar(500)', (c) => c.notNull().defaultTo(''))
    .addColumn('is_active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('shared_secret_hash', 'varchar(255)')
    .addColumn('owning_center_id', 'integer', (c) => c.references('centers.id').onDelete('restrict'))
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('hub_transfer_jobs')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('transfer_key', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('source_node_id', 'integer', (c) => c.notNull().references('network_nodes.id').onDelete('restrict'))
    .addColumn('target_node_id', 'integer', (c) => c.notNull().references('network_nodes.id').onDelete('restrict'))
    .addColumn('source_center_id', 'integer', (c) => c.notNull().references('centers.id').onDelete('restrict'))
    .addColumn('resource_kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('resource_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('transfer_mode', 'varchar(64)', (c) => c.notNull())
    .addColumn('processing_policy', 'varchar(64)', (c) => c.notNull())
    .addColumn('processing_intent', 'varchar(64)', (c) => c.notNull())
    .addColumn('processing_decision', 'varchar(64)', (c) => c.notNull())
    .addColumn('cleanup_policy', 'varchar(64)', (c) => c.notNull())
    .addColumn('cleanup_status', 'varchar(32)', (c) => c.notNull())
    .addColumn('payload_schema_version', 'varchar(8)', (c) => c.notNull())
    .addColumn('transfer_status', 'varchar(32)', (c) => c.notNull())
    .addColumn('status_detail', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('resource_rows', t.json, (c) => c.notNull())
    .addColumn('processing_snapshot', t.json, (c) => c.notNull())
    .addColumn('provenance', t.json, (c) => c.notNull())
    .addColumn('target_object_id', 'integer')
    .addColumn('linked_patient_id', 'integer')
    .addColumn('linked_patient_examination_id', 'integer')
    .addColumn('case_resolution_status', 'varchar(32)', (c) => c.notNull())
    .addColumn('stored_media_path', 'varchar(500)')
    .addColumn('envelope_sha256', 'varchar(64)')
    .addColumn('envelope_receipt', t.json)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('hub_transfer_jobs_center').on('hub_transfer_jobs').column('source_center_id').execute();

  await db.schema
    .createTable('outbound_hub_transfer_jobs')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('resource_kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('video_file_id', 'integer', (c) => c.references('video_files.id').onDelete('cascade'))
    .addColumn('pdf_file_id', 'integer', (c) => c.references('pdf_files.id').onDelete('cascade'))
    .addColumn('source_center_id', 'integer', (c) => c.notNull().references('centers.id').onDelete('restrict'))
    .addColumn('target_node_id', 'integer', (c) => c.notNull().references('network_nodes.id').onDelete('restrict'))
    .addColumn('transfer_key', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('transfer_mode', 'varchar(64)', (c) => c.notNull())
    .addColumn('local_cleanup_policy', 'varchar(64)', (c) => c.notNull())
    .addColumn('local_cleanup_status', 'varchar(32)', (c) => c.notNull())
    .addColumn('local_cleanup_eligible_at', t.timestamp)
    .addColumn('local_status', 'varchar(32)', (c) => c.notNull())
    .addColumn('retry_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('remote_transfer_id', 'varchar(64)', (c) => c.notNull().defaultTo(''))
    .addColumn('remote_transfer_status', 'varchar(32)', (c) => c.notNull().defaultTo(''))
    .addColumn('remote_processing_decision', 'varchar(64)', (c) => c.notNull().defaultTo(''))
    .addColumn('payload_schema_version', 'varchar(8)', (c) => c.notNull().defaultTo(''))
    .addColumn('envelope_receipt', t.json)
    .addColumn('marked_by', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('marked_at', t.timestamp)
    .addColumn('queued_at', t.timestamp)
    .addColumn('registration_started_at', t.timestamp)
    .addColumn('media_upload_started_at', t.timestamp)
    .addColumn('last_attempt_at', t.timestamp)
    .addColumn('completed_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbound_hub_jobs_status').on('outbound_hub_transfer_jobs').columns(['local_status', 'source_center_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outbound_hub_transfer_jobs').ifExists().execute();
  await db.schema.dropTable('hub_transfer_jobs').ifExists().execute();
  await db.schema.dropTable('network_nodes').ifExists().execute();
}

import { sql, type Kysely } from 'kysely';
import { engineOf } from '../dialect.js';

/**
 * Every save of a resource's state re-evaluates its unfinished hub export rows (the original does
 * it in a post-save signal). Triggers count the saves on the ledger row in the same transaction,
 * whichever code path wrote them; the sender's sweep re-evaluates rows whose count moved past the
 * one it last saw. A state change can therefore never slip past the export unnoticed.
 */
const WATCHED: readonly { table: string; kind: 'video' | 'report'; idColumn: string; when?: string; events: string }[] = [
  { table: 'video_states', kind: 'video', idColumn: 'video_file_id', events: 'UPDATE' },
  { table: 'pdf_states', kind: 'report', idColumn: 'pdf_file_id', events: 'UPDATE' },
  { table: 'video_files', kind: 'video', idColumn: 'id', events: 'UPDATE OF processed_file, processed_video_hash, center_id, sensitive_meta_id' },
  { table: 'pdf_files', kind: 'report', idColumn: 'id', events: 'UPDATE OF processed_file, anonymized_text, gate_status, center_id, sensitive_meta_id' },
  { table: 'video_processing_history', kind: 'video', idColumn: 'video_file_id', events: 'INSERT', when: "NEW.operation = 'release_gate'" },
  // The outside-segment cleanup (post-validation rebuild): pending or failed blocks the export.
  { table: 'video_segment_status', kind: 'video', idColumn: 'video_file_id', events: 'INSERT' },
  { table: 'video_segment_status', kind: 'video', idColumn: 'video_file_id', events: 'UPDATE' },
];

const columnOf = (kind: 'video' | 'report'): string => (kind === 'video' ? 'video_file_id' : 'pdf_file_id');
const triggerName = (w: { table: string; events: string }): string => `outbound_state_change_${w.table}_${w.events.split(' ')[0]?.toLowerCase()}`;

export async function up(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  await db.schema.alterTable('outbound_hub_transfer_jobs').addColumn('state_change_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('outbound_hub_transfer_jobs').addColumn('state_change_seen_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('outbound_hub_jobs_video').on('outbound_hub_transfer_jobs').column('video_file_id').execute();
  await db.schema.createIndex('outbound_hub_jobs_pdf').on('outbound_hub_transfer_jobs').column('pdf_file_id').execute();

  if (engine === 'postgres') {
    await sql`CREATE FUNCTION lx_outbound_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE resource_id bigint := (to_jsonb(NEW) ->> TG_ARGV[1])::bigint;
      BEGIN
        IF TG_ARGV[0] = 'video' THEN
          UPDATE outbound_hub_transfer_jobs SET state_change_seq = state_change_seq + 1 WHERE video_file_id = resource_id AND local_status <> 'completed';
        ELSE
          UPDATE outbound_hub_transfer_jobs SET state_change_seq = state_change_seq + 1 WHERE pdf_file_id = resource_id AND local_status <> 'completed';
        END IF;
        RETURN NULL;
      END $$`.execute(db);
    for (const w of WATCHED) {
      const when = w.when ? sql` WHEN (${sql.raw(w.when)})` : sql``;
      await sql`CREATE TRIGGER ${sql.raw(triggerName(w))} AFTER ${sql.raw(w.events)} ON ${sql.table(w.table)} FOR EACH ROW${when} EXECUTE FUNCTION lx_outbound_state_changed(${sql.lit(w.kind)}, ${sql.lit(w.idColumn)})`.execute(db);
    }
    return;
  }
  for (const w of WATCHED) {
    const when = w.when ? sql` WHEN ${sql.raw(w.when)}` : sql``;
    await sql`CREATE TRIGGER ${sql.raw(triggerName(w))} AFTER ${sql.raw(w.events)} ON ${sql.table(w.table)} FOR EACH ROW${when}
      BEGIN
        UPDATE outbound_hub_transfer_jobs SET state_change_seq = state_change_seq + 1
        WHERE ${sql.raw(columnOf(w.kind))} = NEW.${sql.raw(w.idColumn)} AND local_status <> 'completed';
      END`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  const engine = engineOf(db);
  for (const w of WATCHED) await sql`DROP TRIGGER IF EXISTS ${sql.raw(triggerName(w))}${engine === 'postgres' ? sql` ON ${sql.table(w.table)}` : sql``}`.execute(db);
  if (engine === 'postgres') await sql`DROP FUNCTION IF EXISTS lx_outbound_state_changed()`.execute(db);
  await db.schema.dropIndex('outbound_hub_jobs_pdf').ifExists().execute();
  await db.schema.dropIndex('outbound_hub_jobs_video').ifExists().execute();
  await db.schema.alterTable('outbound_hub_transfer_jobs').dropColumn('state_change_seen_seq').execute();
  await db.schema.alterTable('outbound_hub_transfer_jobs').dropColumn('state_change_seq').execute();
}

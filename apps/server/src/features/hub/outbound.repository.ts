import type { LocalStatus } from '@lx/contracts';
import type { Kysely, Transaction, Updateable } from 'kysely';
import { dbInt, dbTimestamp, nowIso, type DB } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** One row of the sender's ledger. */
export interface OutboundJob {
  readonly id: string;
  readonly resourceKind: 'video' | 'report';
  readonly videoFileId: number | null;
  readonly pdfFileId: number | null;
  /** The video or report id, whichever the row points at. */
  readonly resourceId: number;
  readonly sourceCenterId: number;
  readonly targetNodeId: number;
  readonly transferKey: string;
  readonly localStatus: LocalStatus;
  readonly retryCount: number;
  readonly lastError: string;
  readonly remoteTransferId: string;
  readonly remoteTransferStatus: string;
  readonly payloadSchemaVersion: string;
  readonly localCleanupPolicy: string;
  readonly localCleanupStatus: string;
  readonly markedBy: string;
  readonly markedAt: string | null;
  readonly lastAttemptAt: string | null;
  readonly completedAt: string | null;
  /** Saves of the resource's state counted by the database (see migration 0010) and the count last re-evaluated. */
  readonly stateChangeSeq: number;
  readonly stateChangeSeenSeq: number;
  readonly updatedAt: string;
}

const ts = (v: unknown): string | null => (v === null || v === undefined ? null : dbTimestamp.parse(v));

function toJob(r: Record<string, any>): OutboundJob {
  return {
    id: String(r.id),
    resourceKind: r.resource_kind,
    videoFileId: r.video_file_id === null ? null : dbInt.parse(r.video_file_id),
    pdfFileId: r.pdf_file_id === null ? null : dbInt.parse(r.pdf_file_id),
    resourceId: dbInt.parse(r.video_file_id ?? r.pdf_file_id),
    sourceCenterId: dbInt.parse(r.source_center_id),
    targetNodeId: dbInt.parse(r.target_node_id),
    transferKey: r.transfer_key,
    localStatus: r.local_status,
    retryCount: dbInt.parse(r.retry_count),
    lastError: r.last_error,
    remoteTransferId: r.remote_transfer_id,
    remoteTransferStatus: r.remote_transfer_status,
    payloadSchemaVersion: r.payload_schema_version,
    localCleanupPolicy: r.local_cleanup_policy,
    localCleanupStatus: r.local_cleanup_status,
    markedBy: r.marked_by,
    markedAt: ts(r.marked_at),
    lastAttemptAt: ts(r.last_attempt_at),
    completedAt: ts(r.completed_at),
    stateChangeSeq: dbInt.parse(r.state_change_seq),
    stateChangeSeenSeq: dbInt.parse(r.state_change_seen_seq),
    updatedAt: dbTimestamp.parse(r.updated_at),
  };
}

export async function findOutbound(db: Executor, id: string): Promise<OutboundJob | undefined> {
  const row = await db.selectFrom('outbound_hub_transfer_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toJob(row) : undefined;
}

const resourceColumn = (kind: 'video' | 'report') => (kind === 'video' ? 'video_file_id' : 'pdf_file_id') as 'video_file_id' | 'pdf_file_id';

/** The rows of these videos or reports for one target hub. */
export async function findOutboundForResources(db: Executor, targetNodeId: number, kind: 'video' | 'report', ids: readonly number[]): Promise<OutboundJob[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('outbound_hub_transfer_jobs').selectAll().where('target_node_id', '=', targetNodeId).where('resource_kind', '=', kind).where(resourceColumn(kind), 'in', [...ids]).execute();
  return rows.map(toJob);
}

export async function listOutboundByStatus(db: Executor, statuses: readonly LocalStatus[]): Promise<OutboundJob[]> {
  const rows = await db.selectFrom('outbound_hub_transfer_jobs').selectAll().where('local_status', 'in', [...statuses]).orderBy('created_at').execute();
  return rows.map(toJob);
}

/** Unfinished rows whose resource state was saved since their last re-evaluation. */
export async function listOutboundWithStateChanges(db: Executor): Promise<OutboundJob[]> {
  const rows = await db
    .selectFrom('outbound_hub_transfer_jobs')
    .selectAll()
    .where('local_status', '<>', 'completed')
    .whereRef('state_change_seq', '>', 'state_change_seen_seq')
    .orderBy('created_at')
    .execute();
  return rows.map(toJob);
}

/** Records that the state as of save `seq` was re-evaluated (never moves backwards). */
export async function markStateChangeSeen(db: Executor, id: string, seq: number): Promise<void> {
  await db.updateTable('outbound_hub_transfer_jobs').set({ state_change_seen_seq: seq }).where('id', '=', id).where('state_change_seen_seq', '<', seq).execute();
}

export async function countOutboundByStatus(db: Executor): Promise<Record<string, number>> {
  const rows = await db.selectFrom('outbound_hub_transfer_jobs').select(['local_status']).select((eb) => eb.fn.countAll().as('n')).groupBy('local_status').execute();
  return Object.fromEntries(rows.map((r) => [r.local_status, dbInt.parse(r.n)]));
}

export async function insertOutbound(
  db: Executor,
  row: { id: string; resourceKind: 'video' | 'report'; resourceId: number; sourceCenterId: number; targetNodeId: number; transferKey: string; cleanupPolicy: string; markedBy: string },
): Promise<void> {
  const now = nowIso();
  await db
    .insertInto('outbound_hub_transfer_jobs')
    .values({
      id: row.id,
      resource_kind: row.resourceKind,
      video_file_id: row.resourceKind === 'video' ? row.resourceId : null,
      pdf_file_id: row.resourceKind === 'report' ? row.resourceId : null,
      source_center_id: row.sourceCenterId,
      target_node_id: row.targetNodeId,
      transfer_key: row.transferKey,
      transfer_mode: 'metadata_and_processed_media',
      local_cleanup_policy: row.cleanupPolicy,
      local_cleanup_status: 'not_applicable',
      local_cleanup_eligible_at: null,
      local_status: 'marked',
      envelope_receipt: null,
      marked_by: row.markedBy,
      marked_at: now,
      queued_at: null,
      registration_started_at: null,
      media_upload_started_at: null,
      last_attempt_at: null,
      completed_at: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

export type OutboundPatch = Omit<Updateable<DB['outbound_hub_transfer_jobs']>, 'id' | 'created_at' | 'updated_at'>;

/**
 * Moves a job only if it is still in one of `from` (compare-and-set): two workers or a worker and
 * the recovery never both take the same step. True when the row changed.
 */
export async function transitionOutbound(db: Executor, id: string, from: readonly LocalStatus[], patch: OutboundPatch): Promise<boolean> {
  const result = await db
    .updateTable('outbound_hub_transfer_jobs')
    .set({ ...patch, updated_at: nowIso() })
    .where('id', '=', id)
    .where('local_status', 'in', [...from])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function deleteMarked(db: Executor, targetNodeId: number, kind: 'video' | 'report', ids: readonly number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db.deleteFrom('outbound_hub_transfer_jobs').where('target_node_id', '=', targetNodeId).where('resource_kind', '=', kind).where(resourceColumn(kind), 'in', [...ids]).where('local_status', '=', 'marked').executeTakeFirst();
  return Number(result.numDeletedRows);
}

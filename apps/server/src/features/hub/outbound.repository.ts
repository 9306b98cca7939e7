import type { LocalStatus } from '@lx/contracts';
import type { ExpressionBuilder, Kysely, Transaction, Updateable } from 'kysely';
import { dbInt, dbTimestamp, nowIso, type DB } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** One row of the sender's ledger. */
export interface OutboundJob {
  readonly id: string;
  readonly resourceKind: 'video' | 'report';
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
  /** Saves of the resource's state counted by the database (see migration 0010). */
  readonly stateChangeSeq: number;
  readonly updatedAt: string;
}

const ts = (v: unknown): string | null => (v === null || v === undefined ? null : dbTimestamp.parse(v));

function toJob(r: Record<string, any>): OutboundJob {
  return {
    id: String(r.id),
    resourceKind: r.resource_kind,
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
    updatedAt: dbTimestamp.parse(r.updated_at),
  };
}

export async function findOutbound(db: Executor, id: string): Promise<OutboundJob | undefined> {
  const row = await db.selectFrom('outbound_hub_transfer_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toJob(row) : undefined;
}

type ResourceRefs = readonly { readonly resourceKind: 'video' | 'report'; readonly id: number }[];

/** Rows of one target hub that point at any of these videos or reports. */
function forResources(targetNodeId: number, refs: ResourceRefs) {
  const idsOf = (kind: 'video' | 'report'): number[] => refs.filter((r) => r.resourceKind === kind).map((r) => r.id);
  const [videos, reports] = [idsOf('video'), idsOf('report')];
  return (eb: ExpressionBuilder<DB, 'outbound_hub_transfer_jobs'>) =>
    eb.and([
      eb('target_node_id', '=', targetNodeId),
      eb.or([
        ...(videos.length > 0 ? [eb.and([eb('resource_kind', '=', 'video'), eb('video_file_id', 'in', videos)])] : []),
        ...(reports.length > 0 ? [eb.and([eb('resource_kind', '=', 'report'), eb('pdf_file_id', 'in', reports)])] : []),
      ]),
    ]);
}

/** The rows of these videos and reports for one target hub. */
export async function findOutboundForResources(db: Executor, targetNodeId: number, refs: ResourceRefs): Promise<OutboundJob[]> {
  if (refs.length === 0) return [];
  const rows = await db.selectFrom('outbound_hub_transfer_jobs').selectAll().where(forResources(targetNodeId, refs)).execute();
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

/** Unmark: deletes the `marked` rows (only those) of these resources for one target hub. */
export async function deleteMarked(db: Executor, targetNodeId: number, refs: ResourceRefs): Promise<number> {
  if (refs.length === 0) return 0;
  const result = await db.deleteFrom('outbound_hub_transfer_jobs').where(forResources(targetNodeId, refs)).where('local_status', '=', 'marked').executeTakeFirst();
  return Number(result.numDeletedRows);
}

import type { Kysely, Transaction, Updateable } from 'kysely';
import { dbInt, dbTimestamp, nowIso, type DB } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** A transfer received by the hub, with its node and center keys resolved. */
export interface TransferJob {
  readonly id: string;
  readonly transferKey: string;
  readonly sourceNodeId: number;
  readonly sourceNodeKey: string;
  readonly targetNodeId: number;
  readonly targetNodeKey: string;
  readonly sourceCenterId: number;
  readonly sourceCenterKey: string;
  readonly resourceKind: 'video' | 'report';
  readonly resourceHash: string;
  readonly transferMode: string;
  readonly processingPolicy: string;
  readonly processingIntent: string;
  readonly processingDecision: string;
  readonly cleanupPolicy: string;
  readonly cleanupStatus: string;
  readonly payloadSchemaVersion: string;
  readonly transferStatus: string;
  readonly statusDetail: string;
  readonly resourceRows: Record<string, any>;
  readonly provenance: Record<string, any>;
  readonly targetObjectId: number | null;
  readonly linkedPatientId: number | null;
  readonly linkedPatientExaminationId: number | null;
  readonly caseResolutionStatus: string;
  readonly storedMediaPath: string | null;
  readonly envelopeSha256: string | null;
  readonly envelopeReceipt: Record<string, unknown> | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const intOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : dbInt.parse(v));

export async function findTransferByKey(db: Executor, transferKey: string): Promise<TransferJob | undefined> {
  const row = await db
    .selectFrom('hub_transfer_jobs as t')
    .innerJoin('network_nodes as s', 's.id', 't.source_node_id')
    .innerJoin('network_nodes as g', 'g.id', 't.target_node_id')
    .innerJoin('centers as c', 'c.id', 't.source_center_id')
    .selectAll('t')
    .select(['s.node_key as source_node_key', 'g.node_key as target_node_key', 'c.center_key as source_center_key'])
    .where('t.transfer_key', '=', transferKey)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: String(row.id),
    transferKey: row.transfer_key,
    sourceNodeId: dbInt.parse(row.source_node_id),
    sourceNodeKey: row.source_node_key,
    targetNodeId: dbInt.parse(row.target_node_id),
    targetNodeKey: row.target_node_key,
    sourceCenterId: dbInt.parse(row.source_center_id),
    sourceCenterKey: row.source_center_key,
    resourceKind: row.resource_kind as 'video' | 'report',
    resourceHash: row.resource_hash,
    transferMode: row.transfer_mode,
    processingPolicy: row.processing_policy,
    processingIntent: row.processing_intent,
    processingDecision: row.processing_decision,
    cleanupPolicy: row.cleanup_policy,
    cleanupStatus: row.cleanup_status,
    payloadSchemaVersion: row.payload_schema_version,
    transferStatus: row.transfer_status,
    statusDetail: row.status_detail,
    resourceRows: JSON.parse(row.resource_rows) as Record<string, any>,
    provenance: JSON.parse(row.provenance) as Record<string, any>,
    targetObjectId: intOrNull(row.target_object_id),
    linkedPatientId: intOrNull(row.linked_patient_id),
    linkedPatientExaminationId: intOrNull(row.linked_patient_examination_id),
    caseResolutionStatus: row.case_resolution_status,
    storedMediaPath: row.stored_media_path,
    envelopeSha256: row.envelope_sha256,
    envelopeReceipt: row.envelope_receipt === null ? null : (JSON.parse(row.envelope_receipt) as Record<string, unknown>),
    createdAt: dbTimestamp.parse(row.created_at),
    updatedAt: dbTimestamp.parse(row.updated_at),
  };
}

export type NewTransfer = Omit<DB['hub_transfer_jobs'], 'created_at' | 'updated_at' | 'status_detail'> & { status_detail: string };

export async function insertTransfer(db: Executor, row: { [K in keyof NewTransfer]: NewTransfer[K] }): Promise<void> {
  const now = nowIso();
  await db.insertInto('hub_transfer_jobs').values({ ...row, created_at: now, updated_at: now }).execute();
}

export async function updateTransfer(
  db: Executor,
  id: string,
  patch: Pick<Updateable<DB['hub_transfer_jobs']>, 'transfer_status' | 'processing_decision' | 'status_detail' | 'provenance' | 'stored_media_path' | 'envelope_sha256' | 'envelope_receipt' | 'cleanup_status'>,
): Promise<void> {
  await db.updateTable('hub_transfer_jobs').set({ ...patch, updated_at: nowIso() }).where('id', '=', id).execute();
}

export async function findCenterIdByKey(db: Executor, centerKey: string): Promise<number | undefined> {
  const row = await db.selectFrom('centers').select('id').where('center_key', '=', centerKey).executeTakeFirst();
  return row ? dbInt.parse(row.id) : undefined;
}

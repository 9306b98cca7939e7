import type { Kysely, Selectable, Transaction } from 'kysely';
import { z } from 'zod';
import { dbBool, dbInt, dbJson, dbTimestamp, type DB } from '../../db/index.js';
import type { UploadJobsTable } from '../../db/schema.js';
import { Provenance } from './provenance.js';
import {
  CLEANUP_STATUSES,
  INGEST_MODES,
  RETENTION_POLICIES,
  STORAGE_CLASSES,
  STORAGE_TIERS,
  UPLOAD_STATUSES,
  type TransitionPatch,
  type UploadJob,
  type UploadStatus,
} from './upload-job.js';

export type Executor = Kysely<DB> | Transaction<DB>;

/** Where one center's jobs may be read: `all`, or these center ids. */
export type CenterScope = readonly number[] | 'all';

const Row = z.object({
  id: z.string(),
  file: z.string(),
  status: z.enum(UPLOAD_STATUSES),
  content_type: z.string(),
  source_center_id: dbInt.nullable(),
  source_system: z.string(),
  content_hash: z.string(),
  idempotency_key: z.string(),
  ingest_mode: z.enum(INGEST_MODES),
  original_filename: z.string(),
  // A row written by an older release may carry keys this one does not know: read leniently.
  processing_provenance: dbJson(z.record(z.string(), z.unknown())),
  storage_class: z.enum(STORAGE_CLASSES),
  storage_tier: z.enum(STORAGE_TIERS),
  retention_policy: z.enum(RETENTION_POLICIES),
  source_file_persisted: dbBool,
  source_file_delete_eligible_at: dbTimestamp.nullable(),
  cleanup_status: z.enum(CLEANUP_STATUSES),
  created_by: z.string().nullable(),
  sensitive_meta_id: dbInt.nullable(),
  error_detail: z.string(),
  created_at: dbTimestamp,
  updated_at: dbTimestamp,
  dismissed_at: dbTimestamp.nullable(),
  dismissed_by: z.string().nullable(),
});

function toJob(row: Selectable<UploadJobsTable>): UploadJob {
  const r = Row.parse(row);
  const provenance = Provenance.safeParse(r.processing_provenance);
  return {
    id: r.id,
    file: r.file,
    status: r.status,
    contentType: r.content_type,
    sourceCenterId: r.source_center_id,
    sourceSystem: r.source_system,
    contentHash: r.content_hash,
    idempotencyKey: r.idempotency_key,
    ingestMode: r.ingest_mode,
    originalFilename: r.original_filename,
    provenance: provenance.success ? provenance.data : (r.processing_provenance as Provenance),
    storageClass: r.storage_class,
    storageTier: r.storage_tier,
    retentionPolicy: r.retention_policy,
    sourceFilePersisted: r.source_file_persisted,
    sourceFileDeleteEligibleAt: r.source_file_delete_eligible_at,
    cleanupStatus: r.cleanup_status,
    createdBy: r.created_by,
    sensitiveMetaId: r.sensitive_meta_id,
    errorDetail: r.error_detail,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    dismissedAt: r.dismissed_at,
    dismissedBy: r.dismissed_by,
  };
}

export interface NewUploadJobRow {
  readonly id: string;
  readonly file: string;
  readonly status: 'pending' | 'error';
  readonly contentType: string;
  readonly sourceCenterId: number;
  readonly sourceSystem: string;
  readonly contentHash: string;
  readonly idempotencyKey: string;
  readonly ingestMode: UploadJob['ingestMode'];
  readonly originalFilename: string;
  readonly provenance: Provenance;
  readonly storageClass: UploadJob['storageClass'];
  readonly storageTier: UploadJob['storageTier'];
  readonly retentionPolicy: UploadJob['retentionPolicy'];
  readonly sourceFilePersisted: boolean;
  readonly createdBy: string | null;
  readonly errorDetail: string;
}

export async function insertUploadJob(db: Executor, job: NewUploadJobRow, now: string): Promise<UploadJob> {
  const row = await db
    .insertInto('upload_jobs')
    .values({
      id: job.id,
      file: job.file,
      status: job.status,
      content_type: job.contentType,
      source_center_id: job.sourceCenterId,
      source_system: job.sourceSystem,
      content_hash: job.contentHash,
      idempotency_key: job.idempotencyKey,
      ingest_mode: job.ingestMode,
      original_filename: job.originalFilename,
      processing_provenance: JSON.stringify(job.provenance),
      storage_class: job.storageClass,
      storage_tier: job.storageTier,
      retention_policy: job.retentionPolicy,
      source_file_persisted: job.sourceFilePersisted,
      cleanup_status: job.status === 'error' ? 'skipped' : 'pending',
      created_by: job.createdBy,
      error_detail: job.errorDetail,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toJob(row);
}

export async function findUploadJob(db: Executor, id: string): Promise<UploadJob | undefined> {
  const row = await db.selectFrom('upload_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toJob(row);
}

const ACTIVE: readonly UploadStatus[] = ['pending', 'processing', 'anonymized'];

/** §3.3 dedupe, first rule: same center, content type and hash, not failed or lost. */
export async function findActiveByContent(db: Executor, key: { centerId: number; contentType: string; contentHash: string }): Promise<UploadJob | undefined> {
  if (key.contentHash === '') return undefined;
  const row = await db
    .selectFrom('upload_jobs')
    .selectAll()
    .where('source_center_id', '=', key.centerId)
    .where('content_type', '=', key.contentType)
    .where('content_hash', '=', key.contentHash)
    .where('status', 'in', [...ACTIVE])
    .orderBy('created_at')
    .executeTakeFirst();
  return row && toJob(row);
}

/** §3.3 dedupe, second rule: the idempotency scope. */
export async function findActiveByIdempotency(
  db: Executor,
  key: { centerId: number; sourceSystem: string; ingestMode: string; storageClass: string; storageTier: string; idempotencyKey: string },
): Promise<UploadJob | undefined> {
  if (key.idempotencyKey === '') return undefined;
  const row = await db
    .selectFrom('upload_jobs')
    .selectAll()
    .where('source_center_id', '=', key.centerId)
    .where('source_system', '=', key.sourceSystem)
    .where('ingest_mode', '=', key.ingestMode)
    .where('storage_class', '=', key.storageClass)
    .where('storage_tier', '=', key.storageTier)
    .where('idempotency_key', '=', key.idempotencyKey)
    .where('status', 'in', [...ACTIVE])
    .orderBy('created_at')
    .executeTakeFirst();
  return row && toJob(row);
}

/**
 * Writes a transition only if the row still has one of the patch's `from` statuses
 * (compare-and-set): two workers racing on one job cannot both win. Returns the new
 * row, or undefined when the row had moved on.
 */
export async function applyTransition(db: Executor, id: string, patch: TransitionPatch, now: string, provenance?: Provenance): Promise<UploadJob | undefined> {
  const row = await db
    .updateTable('upload_jobs')
    .set({
      status: patch.status,
      updated_at: now,
      ...(patch.errorDetail !== undefined ? { error_detail: patch.errorDetail } : {}),
      ...(patch.cleanupStatus !== undefined ? { cleanup_status: patch.cleanupStatus } : {}),
      ...(patch.sourceFileDeleteEligibleAt !== undefined ? { source_file_delete_eligible_at: patch.sourceFileDeleteEligibleAt } : {}),
      ...(patch.sourceFilePersisted !== undefined ? { source_file_persisted: patch.sourceFilePersisted } : {}),
      ...(patch.sensitiveMetaId !== undefined ? { sensitive_meta_id: patch.sensitiveMetaId } : {}),
      ...(patch.storageClass !== undefined ? { storage_class: patch.storageClass } : {}),
      ...(patch.dismissed === null ? { dismissed_at: null, dismissed_by: null } : {}),
      ...(provenance !== undefined ? { processing_provenance: JSON.stringify(provenance) } : {}),
    })
    .where('id', '=', id)
    .where('status', 'in', [...patch.from])
    .returningAll()
    .executeTakeFirst();
  return row && toJob(row);
}

/** Changes that are not a status transition (provenance, storage class, heartbeat). */
export async function updateUploadJob(
  db: Executor,
  id: string,
  changes: { provenance?: Provenance; storageClass?: UploadJob['storageClass']; sourceFilePersisted?: boolean; dismissedAt?: string | null; dismissedBy?: string | null },
  now: string,
  onlyIfStatus?: readonly UploadStatus[],
): Promise<UploadJob | undefined> {
  let query = db
    .updateTable('upload_jobs')
    .set({
      updated_at: now,
      ...(changes.provenance !== undefined ? { processing_provenance: JSON.stringify(changes.provenance) } : {}),
      ...(changes.storageClass !== undefined ? { storage_class: changes.storageClass } : {}),
      ...(changes.sourceFilePersisted !== undefined ? { source_file_persisted: changes.sourceFilePersisted } : {}),
      ...(changes.dismissedAt !== undefined ? { dismissed_at: changes.dismissedAt } : {}),
      ...(changes.dismissedBy !== undefined ? { dismissed_by: changes.dismissedBy } : {}),
    })
    .where('id', '=', id);
  if (onlyIfStatus) query = query.where('status', 'in', [...onlyIfStatus]);
  const row = await query.returningAll().executeTakeFirst();
  return row && toJob(row);
}

/** Jobs whose source sits in quarantine, within the scope. */
export async function listQuarantinedJobs(db: Executor, scope: CenterScope): Promise<UploadJob[]> {
  let query = db.selectFrom('upload_jobs').selectAll().where('storage_class', '=', 'quarantine');
  if (scope !== 'all') query = query.where('source_center_id', 'in', scope.length > 0 ? [...scope] : [-1]);
  return (await query.orderBy('updated_at', 'desc').limit(5000).execute()).map(toJob);
}

/** Pending jobs not touched since `before`: their processing job may never have been enqueued. */
export async function listPendingSince(db: Executor, before: string, limit: number): Promise<UploadJob[]> {
  const rows = await db.selectFrom('upload_jobs').selectAll().where('status', '=', 'pending').where('updated_at', '<', before).orderBy('updated_at').limit(limit).execute();
  return rows.map(toJob);
}

/** Completed jobs whose stored source may now be deleted. */
export async function listCleanupEligible(db: Executor, limit: number): Promise<UploadJob[]> {
  const rows = await db.selectFrom('upload_jobs').selectAll().where('status', '=', 'anonymized').where('cleanup_status', '=', 'eligible').orderBy('updated_at').limit(limit).execute();
  return rows.map(toJob);
}

/** Which of these stored paths belong to some job (for the orphan sweep). */
export async function knownStoredFiles(db: Executor, files: readonly string[]): Promise<Set<string>> {
  const known = new Set<string>();
  for (let i = 0; i < files.length; i += 500) {
    const rows = await db.selectFrom('upload_jobs').select('file').where('file', 'in', files.slice(i, i + 500)).execute();
    for (const r of rows) known.add(r.file);
  }
  return known;
}

/** Text of the job's SensitiveMeta for the status serializer. */
export async function sensitiveMetaTexts(db: Executor, id: number): Promise<{ text: string | null; anonymizedText: string | null } | undefined> {
  const row = await db.selectFrom('sensitive_meta').select(['text', 'anonymized_text']).where('id', '=', id).executeTakeFirst();
  return row && { text: row.text, anonymizedText: row.anonymized_text };
}

/** Stored media files a completed job produced (any media table linking back to it). */
export async function mediaOfUploadJob(db: Executor, jobId: string): Promise<{ kind: 'video' | 'report'; id: number; files: string[] }[]> {
  const videos = await db.selectFrom('video_files').select(['id', 'raw_file', 'processed_file']).where('upload_job_id', '=', jobId).execute();
  const reports = await db.selectFrom('pdf_files').select(['id', 'file', 'processed_file']).where('upload_job_id', '=', jobId).execute();
  return [
    ...videos.map((v) => ({ kind: 'video' as const, id: Number(v.id), files: [v.raw_file, v.processed_file].filter((f): f is string => !!f) })),
    ...reports.map((r) => ({ kind: 'report' as const, id: Number(r.id), files: [r.file, r.processed_file].filter((f): f is string => !!f) })),
  ];
}

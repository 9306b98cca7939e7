import { Conflict } from '../../shared/errors.js';
import type { Provenance } from './provenance.js';

/** §3.3 value sets; the database stores these exact strings. */
export const UPLOAD_STATUSES = ['pending', 'processing', 'anonymized', 'error', 'lost'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];
export const INGEST_MODES = ['api', 'watcher'] as const;
export type IngestMode = (typeof INGEST_MODES)[number];
export const STORAGE_CLASSES = ['ingest', 'managed', 'quarantine'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];
export const STORAGE_TIERS = ['upload_api', 'upload_watcher', 'upload_preanonymized'] as const;
export type StorageTier = (typeof STORAGE_TIERS)[number];
export const RETENTION_POLICIES = ['preserve_source', 'delete_after_success', 'migration_managed'] as const;
export type RetentionPolicy = (typeof RETENTION_POLICIES)[number];
export const CLEANUP_STATUSES = ['pending', 'eligible', 'completed', 'skipped'] as const;
export type CleanupStatus = (typeof CLEANUP_STATUSES)[number];

/** Directory below `<STORAGE_DIR>/upload_jobs/` that holds the stored sources of a tier. */
export const TIER_DIRECTORY: Readonly<Record<StorageTier, string>> = {
  upload_api: 'api',
  upload_watcher: 'watcher',
  upload_preanonymized: 'preanonymized',
};

/** A pending or processing job untouched for this long is taken as abandoned and may be superseded. */
export const STALE_AFTER_MS = 2 * 60 * 60 * 1000;

/** One upload job as the services see it (the row, normalized for both engines). */
export interface UploadJob {
  readonly id: string;
  /** Stored source, relative to the storage root (`upload_jobs/api/<id>.pdf`); empty when nothing was stored. */
  readonly file: string;
  readonly status: UploadStatus;
  readonly contentType: string;
  readonly sourceCenterId: number | null;
  readonly sourceSystem: string;
  readonly contentHash: string;
  readonly idempotencyKey: string;
  readonly ingestMode: IngestMode;
  readonly originalFilename: string;
  readonly provenance: Provenance;
  readonly storageClass: StorageClass;
  readonly storageTier: StorageTier;
  readonly retentionPolicy: RetentionPolicy;
  readonly sourceFilePersisted: boolean;
  readonly sourceFileDeleteEligibleAt: string | null;
  readonly cleanupStatus: CleanupStatus;
  readonly createdBy: string | null;
  readonly sensitiveMetaId: number | null;
  readonly errorDetail: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly dismissedAt: string | null;
  readonly dismissedBy: string | null;
}

/** `is_complete` of the original: nothing more happens to the job by itself. */
export function isComplete(status: UploadStatus): boolean {
  return status === 'anonymized' || status === 'error' || status === 'lost';
}

/** `is_successful` of the original. */
export function isSuccessful(status: UploadStatus): boolean {
  return status === 'anonymized';
}

/** A pending or processing job that has not moved for `STALE_AFTER_MS`. */
export function isStale(job: Pick<UploadJob, 'status' | 'updatedAt'>, now: Date): boolean {
  return (job.status === 'pending' || job.status === 'processing') && now.getTime() - Date.parse(job.updatedAt) > STALE_AFTER_MS;
}

/** A transition the state machine does not allow (a 409 when it reaches HTTP). */
export class InvalidTransition extends Conflict {
  constructor(
    readonly jobId: string,
    readonly from: UploadStatus,
    readonly event: TransitionEvent['kind'],
  ) {
    super(`Upload job ${jobId} cannot go from ${from} via ${event}.`);
  }
}

export type TransitionEvent =
  | { readonly kind: 'mark_processing' }
  | { readonly kind: 'mark_completed'; readonly sensitiveMetaId?: number | null }
  | { readonly kind: 'mark_error'; readonly detail: string }
  | { readonly kind: 'mark_lost'; readonly detail: string }
  | { readonly kind: 'cleanup_completed' }
  | { readonly kind: 'reopen' };

/** Column changes of one transition; applied with a compare-and-set on `from`. */
export interface TransitionPatch {
  /** Statuses the row must still have when the patch is written (another process may have moved it). */
  readonly from: readonly UploadStatus[];
  readonly status: UploadStatus;
  readonly errorDetail?: string;
  readonly cleanupStatus?: CleanupStatus;
  readonly sourceFileDeleteEligibleAt?: string | null;
  readonly sourceFilePersisted?: boolean;
  readonly sensitiveMetaId?: number | null;
  readonly storageClass?: StorageClass;
  readonly dismissed?: null;
}

const FROM: Readonly<Record<TransitionEvent['kind'], readonly UploadStatus[]>> = {
  // processing → processing: a job re-delivered after its worker died starts over.
  mark_processing: ['pending', 'processing'],
  mark_completed: ['pending', 'processing'],
  mark_error: ['pending', 'processing'],
  mark_lost: ['pending', 'processing', 'anonymized'],
  cleanup_completed: ['anonymized'],
  reopen: ['error', 'lost'],
};

/**
 * The §3.3 state machine: `pending → processing → anonymized | error | lost`. Returns
 * the column changes, or throws `InvalidTransition`. Completion applies the retention
 * policy: `delete_after_success` sources become eligible for deletion now (the
 * processing job deletes them right after), the others are `skipped`.
 */
export function transition(job: Pick<UploadJob, 'id' | 'status' | 'retentionPolicy' | 'cleanupStatus'>, event: TransitionEvent, now: Date): TransitionPatch {
  const from = FROM[event.kind];
  if (!from.includes(job.status)) throw new InvalidTransition(job.id, job.status, event.kind);
  switch (event.kind) {
    case 'mark_processing':
      return { from, status: 'processing' };
    case 'mark_completed': {
      const deleteSource = job.retentionPolicy === 'delete_after_success';
      return {
        from,
        status: 'anonymized',
        errorDetail: '',
        cleanupStatus: deleteSource ? 'eligible' : 'skipped',
        sourceFileDeleteEligibleAt: deleteSource ? now.toISOString() : null,
        ...(event.sensitiveMetaId !== undefined ? { sensitiveMetaId: event.sensitiveMetaId } : {}),
      };
    }
    case 'mark_error':
      return { from, status: 'error', errorDetail: clip(event.detail) };
    case 'mark_lost':
      return { from, status: 'lost', errorDetail: clip(event.detail) };
    case 'cleanup_completed':
      if (job.cleanupStatus !== 'eligible') throw new InvalidTransition(job.id, job.status, event.kind);
      return { from, status: 'anonymized', cleanupStatus: 'completed', sourceFilePersisted: false };
    case 'reopen':
      return { from, status: 'pending', errorDetail: '', cleanupStatus: 'pending', sourceFileDeleteEligibleAt: null, storageClass: 'ingest', dismissed: null };
  }
}

/** error_detail is shown to clinicians; keep it a readable length. */
function clip(detail: string): string {
  const oneLine = detail.replace(/\s+/g, ' ').trim();
  return oneLine.length > 2000 ? `${oneLine.slice(0, 1999)}…` : oneLine;
}

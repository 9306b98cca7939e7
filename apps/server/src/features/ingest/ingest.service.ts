import { randomUUID } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { stat } from 'node:fs/promises';
import type { ByteSource, StorageService } from '../../adapters/storage/index.js';
import type { DeploymentRole, RuntimePaths } from '../../config/index.js';
import { nowIso, type Db } from '../../db/index.js';
import type { JobQueue } from '../../jobs/index.js';
import type { Logger } from '../../log/logger.js';
import { Forbidden, NotFound } from '../../shared/errors.js';
import type { AuditLedger } from '../audit/index.js';
import { allowedCenterIds, type Actor } from '../auth/index.js';
import type { CenterDirectory } from './center-resolution.js';
import { enqueueUploadProcessing } from './processing-handoff.js';
import { checkedProvenance, mergeProvenance, type Provenance } from './provenance.js';
import { TIER_DIRECTORY, isStale, transition, type IngestMode, type RetentionPolicy, type StorageTier, type TransitionEvent, type UploadJob } from './upload-job.js';
import {
  applyTransition,
  findActiveByContent,
  findActiveByIdempotency,
  findUploadJob,
  insertUploadJob,
  mediaOfUploadJob,
  sensitiveMetaTexts,
  type NewUploadJobRow,
} from './upload-jobs.repository.js';

/** What every ingest service needs; built once by the composition root. */
export interface IngestDeps {
  readonly db: Db;
  readonly storage: { service(): Promise<StorageService> };
  readonly audit: AuditLedger;
  /** The job queue, resolved on first use (the watcher and api create it lazily). */
  readonly queue: () => JobQueue;
  readonly centers: CenterDirectory;
  readonly role: DeploymentRole;
  readonly paths: Pick<RuntimePaths, 'storageDir' | 'quarantineDir' | 'importDirs'>;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export interface StoredSource {
  readonly relativePath: string;
  readonly sizeBytes: number;
  readonly sha256Hex: string;
}

/** One source entering the system, from the API or the watcher (one code path for both). */
export interface IngestRequest {
  /** Id of the job to create; the stored source is named after it. */
  readonly id: string;
  readonly stored: StoredSource | undefined;
  readonly contentType: string;
  readonly centerId: number;
  readonly sourceSystem: string;
  readonly idempotencyKey: string;
  readonly ingestMode: IngestMode;
  readonly storageTier: StorageTier;
  readonly retentionPolicy: RetentionPolicy;
  readonly originalFilename: string;
  readonly createdBy: string | null;
  readonly provenance: Provenance;
  /** Only the watcher's refused files are created failed (their reason is the job's error_detail). */
  readonly failed?: { readonly detail: string } | undefined;
  /** Content hash when nothing was stored (a refused watcher file). */
  readonly contentHash?: string;
}

export interface IngestOutcome {
  readonly job: UploadJob;
  readonly created: boolean;
}

/** The hand-off to the workers failed after the job was created (§3.1 step 7: 500 `Failed to start processing`). */
export class HandoffFailed extends Error {
  constructor(
    readonly job: UploadJob,
    cause: unknown,
  ) {
    super(`Failed to start processing: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'HandoffFailed';
  }
}

/** The status serializer of `GET upload/<id>/status/`. */
export interface UploadStatusView {
  readonly id: string;
  readonly status: UploadJob['status'];
  readonly error_detail: string;
  readonly sensitive_meta_id: number | null;
  readonly text: string | null;
  readonly anonymized_text: string | null;
  readonly source_center_key: string | null;
  readonly source_system: string;
  readonly ingest_mode: string;
  readonly report_llm_job: null;
}

const isUniqueViolation = (error: unknown): boolean =>
  (error as { code?: string }).code === '23505' || /UNIQUE constraint failed/i.test(String((error as Error).message ?? ''));

/**
 * The one ingest core behind `POST /api/upload/` and the file watcher: stores
 * sources, creates or reuses upload jobs by the §3.3 rules, and hands new jobs
 * to the `pipeline` queue.
 */
export class IngestService {
  readonly #deps: IngestDeps;

  constructor(deps: IngestDeps) {
    this.#deps = deps;
  }

  get deps(): IngestDeps {
    return this.#deps;
  }

  now(): Date {
    return this.#deps.now?.() ?? new Date();
  }

  newJobId(): string {
    return randomUUID();
  }

  /** `upload_jobs/<api|watcher|preanonymized>/<job id><ext>`: the name carries no patient data. */
  storedPathFor(tier: StorageTier, jobId: string, extension: string): string {
    return `upload_jobs/${TIER_DIRECTORY[tier]}/${jobId}${extension.toLowerCase()}`;
  }

  /**
   * Encrypts `source` into storage while hashing it. Atomic (temp + fsync + rename +
   * directory fsync): when this resolves the copy is durable; when the source fails
   * midway nothing is left under the final name.
   */
  async storeSource(relativePath: string, source: ByteSource): Promise<StoredSource> {
    const storage = await this.#deps.storage.service();
    const written = await storage.write(relativePath, source);
    return { relativePath: written.relativePath, sizeBytes: written.plaintextBytes, sha256Hex: written.sha256Hex };
  }

  /** Removes a stored copy that no job will own (a refused or deduplicated upload). */
  async discardStored(relativePath: string): Promise<void> {
    const storage = await this.#deps.storage.service();
    await storage.delete(relativePath).catch((error: unknown) => {
      this.#deps.logger.warn({ err: (error as Error).message }, 'could not delete an unowned stored upload; the sweep removes it later');
    });
  }

  /**
   * Creates the job or reuses a live one (first by content hash within center and
   * content type, then by idempotency scope). A stale pending/processing match is
   * superseded (old job → error) and a completed match whose media fails the
   * integrity check is marked lost; both then get a new job. Two identical uploads
   * racing each other meet at the partial unique indexes: the loser reuses the
   * winner's job. A new pending job is handed to the workers.
   */
  async ingest(request: IngestRequest): Promise<IngestOutcome> {
    const outcome = await this.#createOrReuse(request);
    if (!outcome.created) {
      if (request.stored && request.stored.relativePath !== outcome.job.file) await this.discardStored(request.stored.relativePath);
      // A pending job whose hand-off was lost to a crash gets it now (deduplicated while queued).
      if (outcome.job.status === 'pending') {
        await enqueueUploadProcessing(this.#deps.queue(), outcome.job.id, outcome.job.sourceCenterId).catch((error: unknown) => {
          this.#deps.logger.warn({ uploadJobId: outcome.job.id, err: (error as Error).message }, 're-enqueueing a reused pending upload job failed; the sweep retries');
        });
      }
      return outcome;
    }
    if (outcome.job.status === 'pending') await this.handOff(outcome.job);
    return outcome;
  }

  /** Enqueues processing; a failure marks the job `error` and throws `HandoffFailed`. */
  async handOff(job: UploadJob): Promise<string> {
    try {
      return await enqueueUploadProcessing(this.#deps.queue(), job.id, job.sourceCenterId);
    } catch (error) {
      const failed = await this.transition(job, { kind: 'mark_error', detail: 'Die Verarbeitung konnte nicht gestartet werden (Warteschlange nicht erreichbar).' }).catch(() => job);
      throw new HandoffFailed(failed, error);
    }
  }

  async #createOrReuse(request: IngestRequest): Promise<IngestOutcome> {
    const contentHash = request.stored?.sha256Hex ?? request.contentHash ?? '';
    const storageClass = request.failed ? 'quarantine' : 'ingest';
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if (!request.failed) {
        const match =
          (await findActiveByContent(this.#deps.db, { centerId: request.centerId, contentType: request.contentType, contentHash })) ??
          (await findActiveByIdempotency(this.#deps.db, {
            centerId: request.centerId,
            sourceSystem: request.sourceSystem,
            ingestMode: request.ingestMode,
            storageClass,
            storageTier: request.storageTier,
            idempotencyKey: request.idempotencyKey,
          }));
        if (match) {
          const replaced = await this.#replaceIfUnusable(match, request.id);
          if (!replaced) return { job: match, created: false };
          continue;
        }
      }
      const row: NewUploadJobRow = {
        id: request.id,
        file: request.stored?.relativePath ?? '',
        status: request.failed ? 'error' : 'pending',
        contentType: request.contentType,
        sourceCenterId: request.centerId,
        sourceSystem: request.sourceSystem,
        contentHash,
        idempotencyKey: request.idempotencyKey,
        ingestMode: request.ingestMode,
        originalFilename: request.originalFilename.slice(0, 1024),
        provenance: checkedProvenance({ ...request.provenance, content_hash: contentHash || undefined, storage_class: storageClass, stored_upload_path: request.stored?.relativePath }),
        storageClass,
        storageTier: request.storageTier,
        retentionPolicy: request.retentionPolicy,
        sourceFilePersisted: request.stored !== undefined,
        createdBy: request.createdBy,
        errorDetail: request.failed?.detail ?? '',
      };
      try {
        const job = await insertUploadJob(this.#deps.db, row, nowIso());
        await this.#deps.audit.append({
          action: 'ingest.upload_job_created',
          objectType: 'upload_job',
          objectPk: job.id,
          actor: request.createdBy,
          centerId: job.sourceCenterId,
          data: { ingest_mode: job.ingestMode, source_system: job.sourceSystem, content_type: job.contentType, storage_tier: job.storageTier, status: job.status },
        });
        return { job, created: true };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Lost a race against an identical upload: look again and reuse the winner.
      }
    }
    throw new Error('upload job could not be created or reused after repeated conflicts');
  }

  /** True when `match` was superseded (stale) or marked lost (media gone), so a new job is due. */
  async #replaceIfUnusable(match: UploadJob, newJobId: string): Promise<boolean> {
    const now = this.now();
    if (isStale(match, now)) {
      const provenance = mergeProvenance(match.provenance, { superseded_by_upload_job_id: newJobId });
      const detail = `Ersetzt durch erneuten Import ${newJobId}: seit über 2 Stunden keine Verarbeitung.`;
      await this.transition(match, { kind: 'mark_error', detail }, provenance).catch(() => undefined);
      await this.#auditReplacement(match, newJobId, 'stale');
      return true;
    }
    if (match.status !== 'anonymized') return false;
    const integrity = await this.checkMediaIntegrity(match);
    if (integrity.ok) return false;
    const provenance = mergeProvenance(match.provenance, {
      media_integrity_status: 'failed',
      media_integrity_detail: integrity.detail,
      media_integrity_checked_at: now.toISOString(),
      superseded_by_upload_job_id: newJobId,
    });
    await this.transition(match, { kind: 'mark_lost', detail: `Medien nicht mehr vollständig: ${integrity.detail}` }, provenance).catch(() => undefined);
    await this.#auditReplacement(match, newJobId, 'media_integrity');
    return true;
  }

  async #auditReplacement(old: UploadJob, newJobId: string, reason: string): Promise<void> {
    await this.#deps.audit.append({ action: 'ingest.upload_job_superseded', objectType: 'upload_job', objectPk: old.id, centerId: old.sourceCenterId, data: { reason, previous_status: old.status, new_upload_job_id: newJobId } });
  }

  /** A completed job's media must still exist: its media rows and every stored file they name. */
  async checkMediaIntegrity(job: UploadJob): Promise<{ ok: true } | { ok: false; detail: string }> {
    const media = await mediaOfUploadJob(this.#deps.db, job.id);
    if (media.length === 0) return { ok: false, detail: 'kein Medieneintrag verweist auf den Upload' };
    const storage = await this.#deps.storage.service();
    for (const item of media) {
      for (const file of item.files) {
        const present = isAbsolute(file) ? await stat(file).then((s) => s.isFile(), () => false) : await storage.exists(file).catch(() => false);
        if (!present) return { ok: false, detail: `${item.kind === 'video' ? 'Video' : 'Bericht'} ${item.id}: gespeicherte Datei fehlt` };
      }
    }
    return { ok: true };
  }

  /**
   * Applies a state-machine transition with compare-and-set. Returns the updated job;
   * if another process moved the job first, the current row is returned unchanged
   * when it already is where this transition leads, else `InvalidTransition`.
   */
  async transition(job: UploadJob, event: TransitionEvent, provenance?: Provenance, round = 0): Promise<UploadJob> {
    if (round > 5) throw new Error(`upload job ${job.id}: its status keeps changing under ${event.kind}`);
    const now = this.now();
    const patch = transition(job, event, now);
    const updated = await applyTransition(this.#deps.db, job.id, patch, now.toISOString(), provenance);
    if (updated) return updated;
    const current = await findUploadJob(this.#deps.db, job.id);
    if (!current) throw new NotFound(`Upload job ${job.id} no longer exists.`);
    if (current.status === patch.status) return current;
    return this.transition(current, event, provenance, round + 1);
  }

  async find(id: string): Promise<UploadJob | undefined> {
    return findUploadJob(this.#deps.db, id);
  }

  /** The job as its center may see it: 404 outside the actor's centers, 403 without any center. */
  async findVisible(actor: Actor, id: string): Promise<UploadJob> {
    const scope = allowedCenterIds(actor);
    if (scope !== 'all' && scope.length === 0) throw new Forbidden('You do not have access to upload jobs.');
    const job = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? await findUploadJob(this.#deps.db, id.toLowerCase()) : undefined;
    if (!job || (scope !== 'all' && (job.sourceCenterId === null || !scope.includes(job.sourceCenterId)))) throw new NotFound('Not found.');
    return job;
  }

  async status(actor: Actor, id: string): Promise<UploadStatusView> {
    const job = await this.findVisible(actor, id);
    const texts = job.sensitiveMetaId !== null ? await sensitiveMetaTexts(this.#deps.db, job.sensitiveMetaId) : undefined;
    const center = job.sourceCenterId !== null ? await this.#deps.centers.byId(job.sourceCenterId) : undefined;
    return {
      id: job.id,
      status: job.status,
      error_detail: job.errorDetail,
      sensitive_meta_id: job.sensitiveMetaId,
      text: texts?.text ?? null,
      anonymized_text: texts?.anonymizedText ?? null,
      source_center_key: center?.centerKey ?? null,
      source_system: job.sourceSystem,
      ingest_mode: job.ingestMode,
      report_llm_job: null,
    };
  }
}

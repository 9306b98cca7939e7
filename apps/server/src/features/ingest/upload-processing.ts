import type { StorageService } from '../../adapters/storage/index.js';
import { nowIso } from '../../db/index.js';
import { PermanentJobError } from '../../jobs/index.js';
import type { Logger } from '../../log/logger.js';
import type { IngestService } from './ingest.service.js';
import { ImportFailure, type ImportedMedia, type PreanonymizedImporter } from './preanonymized-import.js';
import { mergeProvenance, type Provenance } from './provenance.js';
import type { UploadRecoveryService } from './upload-recovery.service.js';
import { isComplete, type UploadJob } from './upload-job.js';
import { updateUploadJob } from './upload-jobs.repository.js';

export type { ImportedMedia } from './preanonymized-import.js';

/** What a media import step receives: ids, the stored (encrypted) source and its provenance. */
export interface UploadSourceForImport {
  readonly uploadJobId: string;
  readonly centerId: number;
  readonly contentType: string;
  /** LXENC01 copy, relative to the storage root; read it with `storage.read`. */
  readonly storedPath: string;
  readonly contentHash: string;
  readonly originalFilename: string;
  /** The watcher's processor (`olympus_cv_1500`); null means the default processor. */
  readonly processorName: string | null;
  readonly provenance: Provenance;
  readonly storage: StorageService;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** A media import (report anonymization, video import); idempotent per upload job. */
export type MediaImporter = (source: UploadSourceForImport) => Promise<ImportedMedia>;

/**
 * The media modules' import steps. Each is optional until its module exists: a job
 * whose step is missing fails with an error_detail that names the step, never with
 * a pretended success.
 */
export interface MediaImporters {
  readonly report?: MediaImporter;
  readonly video?: MediaImporter;
}

/** German, shown as the job's error_detail. */
export const MISSING_STEP_DETAIL = {
  report: 'Verarbeitungsschritt fehlt: Der Import und die Anonymisierung von PDF-Berichten sind in dieser Installation noch nicht verfügbar. Die Datei liegt in Quarantäne und kann später erneut verarbeitet werden.',
  video: 'Verarbeitungsschritt fehlt: Der Videoimport (Anonymisierung von Videos) ist in dieser Installation noch nicht verfügbar. Die Datei liegt in Quarantäne und kann später erneut verarbeitet werden.',
  other: 'Verarbeitungsschritt fehlt: Für diesen Dateityp gibt es keinen Import.',
} as const;

const HEARTBEAT_MS = 5 * 60 * 1000;

/** error_detail from an import failure: German where the step gave one, paths removed. */
export function failureDetail(error: unknown): string {
  const german = (error as { detailDe?: unknown }).detailDe;
  if (typeof german === 'string' && german !== '') return german;
  if (error instanceof ImportFailure) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return `Verarbeitung fehlgeschlagen: ${message.replace(/(?:[A-Za-z]:)?\/[^\s'"]+/g, '<Pfad>').slice(0, 500)}`;
}

/**
 * `process_upload_job`: takes an upload job id, reloads the job and returns early
 * when it is already complete. Otherwise `processing`, then the import step for its
 * kind (preanonymized payloads here, reports and videos through the media modules),
 * then `anonymized` and the source clean-up of its retention policy. A failure of the
 * step marks the job `error` and moves its stored source into quarantine (§3.4).
 */
export class UploadProcessingService {
  constructor(
    private readonly ingest: IngestService,
    private readonly recovery: UploadRecoveryService,
    private readonly preanonymized: PreanonymizedImporter,
    private readonly importers: MediaImporters,
  ) {}

  async process(uploadJobId: string, context: { signal: AbortSignal; logger: Logger; jobId: string; attempt: number }): Promise<void> {
    const { logger, signal } = context;
    let job = await this.ingest.find(uploadJobId);
    if (!job) {
      logger.warn({ uploadJobId }, 'upload job no longer exists; nothing to process');
      return;
    }
    if (job.status === 'anonymized') {
      await this.recovery.cleanupSource(job);
      return;
    }
    if (isComplete(job.status)) return;

    job = await this.ingest.transition(job, { kind: 'mark_processing' }, mergeProvenance(job.provenance, { processing_job_id: context.jobId, processing_attempt: context.attempt }));
    const storage = await this.ingest.deps.storage.service();
    if (job.file === '' || !(await storage.exists(job.file))) {
      await this.ingest.transition(job, { kind: 'mark_lost', detail: 'Die gespeicherte Quelldatei des Uploads fehlt (Datenbank und Speicher stimmen nicht überein).' });
      throw new PermanentJobError(`upload job ${uploadJobId}: stored source missing`);
    }

    const heartbeat = setInterval(() => {
      void updateUploadJob(this.ingest.deps.db, uploadJobId, {}, nowIso(), ['processing']).catch(() => undefined);
    }, HEARTBEAT_MS);
    heartbeat.unref();
    let media: ImportedMedia;
    try {
      media = await this.#runStep(job, storage, signal, logger);
    } catch (error) {
      // Lease lost or worker stopping: not a failure of the file; another attempt takes over.
      if (signal.aborted) throw error;
      const detail = failureDetail(error);
      const failed = await this.ingest.transition(job, { kind: 'mark_error', detail });
      await this.recovery.quarantineStoredSource(failed);
      logger.warn({ uploadJobId, step: job.contentType }, 'upload processing failed; source quarantined');
      throw new PermanentJobError(`upload job ${uploadJobId} failed: ${error instanceof Error ? error.name : 'error'}`);
    } finally {
      clearInterval(heartbeat);
    }
    const done = await this.ingest.transition(job, { kind: 'mark_completed', sensitiveMetaId: media.sensitiveMetaId });
    logger.info({ uploadJobId, mediaKind: media.kind, mediaId: media.mediaId }, 'upload processed');
    await this.recovery.cleanupSource(done);
  }

  async #runStep(job: UploadJob, storage: StorageService, signal: AbortSignal, logger: Logger): Promise<ImportedMedia> {
    if (job.provenance.ingest_variant === 'preanonymized') return this.preanonymized.import(job, signal);
    const kind = job.contentType === 'application/pdf' ? 'report' : job.contentType.startsWith('video/') ? 'video' : undefined;
    if (kind === undefined) throw new ImportFailure(MISSING_STEP_DETAIL.other);
    const step = this.importers[kind];
    if (!step) throw new ImportFailure(MISSING_STEP_DETAIL[kind]);
    return step({
      uploadJobId: job.id,
      centerId: job.sourceCenterId as number,
      contentType: job.contentType,
      storedPath: job.file,
      contentHash: job.contentHash,
      originalFilename: job.originalFilename,
      processorName: job.provenance.processor_name ?? null,
      provenance: job.provenance,
      storage,
      signal,
      logger,
    });
  }
}

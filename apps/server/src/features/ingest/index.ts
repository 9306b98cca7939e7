// The ingest feature's public surface. The SAP IS-H zip converter lives in ./sap.
import { ApiUploadService } from './api-upload.service.js';
import { databaseCenterDirectory } from './center-resolution.js';
import { IngestService, type IngestDeps } from './ingest.service.js';
import { ingestJobs } from './ingest.jobs.js';
import { PreanonymizedImporter } from './preanonymized-import.js';
import { UploadProcessingService, type MediaImporters } from './upload-processing.js';
import { UploadRecoveryService } from './upload-recovery.service.js';

export * from './sap/index.js';
export { IngestService, HandoffFailed, type IngestDeps, type IngestRequest, type IngestOutcome, type StoredSource, type UploadStatusView } from './ingest.service.js';
export { ApiUploadService, type UploadReply } from './api-upload.service.js';
export { UploadRecoveryService, type QuarantineEntry, type QuarantineListing, type SweepSummary } from './upload-recovery.service.js';
export { UploadProcessingService, MISSING_STEP_DETAIL, type MediaImporter, type MediaImporters, type UploadSourceForImport, type ImportedMedia } from './upload-processing.js';
export { PreanonymizedImporter, preanonymizedTarget } from './preanonymized-import.js';
export { registerIngestRoutes, type IngestRouteDeps } from './upload.routes.js';
export { ingestJobs, UPLOAD_SWEEP_INTERVAL_SECONDS } from './ingest.jobs.js';
export { PROCESS_UPLOAD_JOB, enqueueUploadProcessing } from './processing-handoff.js';
export { resolveUploadCenter, resolveWatcherCenter, databaseCenterDirectory, CenterResolutionError, type CenterDirectory, type IngestCenter } from './center-resolution.js';
export { MAX_UPLOAD_BYTES, UPLOAD_ERRORS } from './upload-form.js';
export { ALLOWED_UPLOAD_TYPES, sniffUploadType } from './mime.js';
export { Provenance, checkedProvenance, mergeProvenance } from './provenance.js';
export { transition, isComplete, isSuccessful, isStale, InvalidTransition, STALE_AFTER_MS, UPLOAD_STATUSES, type UploadJob, type UploadStatus } from './upload-job.js';
export { PreanonymizedPayload, parseSidecar } from './watcher/sidecar.js';
export { FileWatcher, type FileWatcherOptions, type WatcherRunSummary } from './watcher/file-watcher.js';
export { WatcherHandoff, type HandoffResult } from './watcher/watcher-handoff.js';
export { checkDropDirectories, type DropDirectoryProblem } from './watcher/drop-dirs.js';

/** Everything the ingest feature wires: the core, the API upload, recovery, processing and its jobs. */
export interface Ingest {
  readonly core: IngestService;
  readonly uploads: ApiUploadService;
  readonly recovery: UploadRecoveryService;
  readonly processing: UploadProcessingService;
  readonly jobs: ReturnType<typeof ingestJobs>;
}

export function createIngest(deps: Omit<IngestDeps, 'centers'> & { importers?: MediaImporters }): Ingest {
  const core = new IngestService({ ...deps, centers: databaseCenterDirectory(deps.db) });
  const recovery = new UploadRecoveryService(core);
  const processing = new UploadProcessingService(core, recovery, new PreanonymizedImporter(deps.db, deps.storage), deps.importers ?? {});
  return { core, uploads: new ApiUploadService(core), recovery, processing, jobs: ingestJobs(processing, recovery) };
}

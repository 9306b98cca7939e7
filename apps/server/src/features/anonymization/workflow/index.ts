import type { StorageService } from '../../../adapters/storage/index.js';
import type { Settings } from '../../../config/index.js';
import type { Db } from '../../../db/index.js';
import type { JobDefinition, JobQueue } from '../../../jobs/index.js';
import type { AuditLedger } from '../../audit/index.js';
import { PseudonymizationService } from '../pseudonymization.service.js';
import { PdfMediaService } from './pdf-media.service.js';
import { ReportImportService } from './report-import.service.js';
import { SensitiveMetaService } from './sensitive-meta.service.js';
import { ValidationService } from './validation.service.js';
import { workflowJobs } from './workflow.jobs.js';
import { AnonymizationWorkflowService, type QuarantineSource } from './workflow.service.js';

export { registerAnonymizationRoutes, type AnonymizationRouteDeps } from './anonymization.routes.js';
export { registerAnonymizationMediaRoutes, type MediaRouteDeps } from './media.routes.js';
export { ReportImportService, ReportImportFailure, rawPdfPath, processedPdfPath, type ReportUploadSource } from './report-import.service.js';
export { AnonymizationWorkflowService, VIDEO_ANONYMIZE_JOB, type QuarantineSource } from './workflow.service.js';
export { ValidationService, InvalidDocumentType } from './validation.service.js';
export { PdfMediaService } from './pdf-media.service.js';
export { SensitiveMetaService } from './sensitive-meta.service.js';
export { PDF_RUN_JOB, enqueuePdfRun } from './workflow.jobs.js';
export { PollLimiter } from './poll-limiter.js';
export { compareField, compareFields, similarity, type FieldMetric } from './field-metrics.js';

/** The anonymization workflow: report import, validation, the overview and the PDF media routes' services. */
export interface AnonymizationWorkflow {
  readonly reports: ReportImportService;
  readonly workflow: AnonymizationWorkflowService;
  readonly validation: ValidationService;
  readonly pdfs: PdfMediaService;
  readonly sensitiveMeta: SensitiveMetaService;
  readonly jobs: JobDefinition<any>[];
}

export function createAnonymizationWorkflow(deps: {
  db: Db;
  audit: AuditLedger;
  settings: Settings;
  storage: { service(): Promise<StorageService> };
  queue: () => JobQueue;
  /** Quarantined uploads for the overview (the ingest feature sits above this one; `main/` wires it). */
  quarantine: QuarantineSource;
}): AnonymizationWorkflow {
  const { db, audit, settings, storage, queue } = deps;
  const reports = new ReportImportService({ db, storage, settings });
  const pseudonymization = new PseudonymizationService(db, audit, settings.anonymization.pseudonymSalt);
  return {
    reports,
    workflow: new AnonymizationWorkflowService(db, audit, queue, reports, deps.quarantine),
    validation: new ValidationService(db, audit, pseudonymization, settings.anonymization.directIdentifierPolicy),
    pdfs: new PdfMediaService(db, audit, storage, queue, reports),
    sensitiveMeta: new SensitiveMetaService(db, audit),
    jobs: workflowJobs(reports),
  };
}

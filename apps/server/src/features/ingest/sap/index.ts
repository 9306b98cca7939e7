export {
  SapImportService,
  SAP_IMPORT_COMMAND,
  DEFAULT_SOURCE_SYSTEM,
  type SapImportRequest,
  type SapImportOutcome,
  type SapGeneratedFile,
  type SapTableReport,
  type SapCenterDirectory,
  type SapImportDeps,
} from './sap-import.service.js';
export { SapDropService, SAP_DROP_STABILITY, type SapDropEvent, type SapDropSummary, type SapDropDeps } from './sap-drop.service.js';
export { DEFAULT_SAP_ARCHIVE_LIMITS, SapArchiveError, type SapArchiveLimits } from './sap-zip.js';
export { SAP_TEMPLATES, SAP_DOCUMENT_TYPES, type SapDocumentType, type SapDocumentTemplate } from './sap-templates.js';

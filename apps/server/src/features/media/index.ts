// The media feature's public surface: video files, their state, processing history, HLS artifacts and operation leases.
export { videoAnonymizationStatus, ANONYMIZATION_STATUSES, type AnonymizationStatus, type VideoStateFlags } from './video-status.js';
export {
  findVideo,
  listVideos,
  findVideoIdByHash,
  insertVideoFile,
  updateVideoFile,
  setVideoState,
  findProcessorId,
  defaultProcessorName,
  type VideoRecord,
  type VideoStateUpdate,
  type VideoFileUpdate,
  type NewVideoFile,
} from './video-files.repository.js';
export { startHistory, reportProgress, finishHistory, closeStaleHistory, listHistory, findHistory, VIDEO_OPERATIONS, type VideoOperation, type HistoryEntry, type HistoryStatus } from './video-history.repository.js';
export { findHlsArtifact, findHlsArtifactByKey, saveHlsArtifact, markHlsArtifactFailed, deleteHlsArtifact, HLS_KINDS, StoredWrappedKey, type HlsKind, type HlsArtifact, type HlsArtifactWrite } from './video-hls.repository.js';
export { acquireMediaLease, renewMediaLease, releaseMediaLease, lockedMediaIds, clearMediaLeases, type LeaseMediaType } from './video-leases.repository.js';
export { pdfAnonymizationStatus, type PdfStateFlags } from './anonymization-status.js';
export {
  findPdfFile,
  listPdfFiles,
  findPdfByHash,
  insertPdfFile,
  updatePdfFile,
  setPdfState,
  PdfFileRecord,
  type CenterScope,
  type NewPdfFile,
  type PdfFileUpdate,
  type PdfStateUpdate,
} from './pdf-files.repository.js';
export { latestPdfFailures, insertPdfHistory, finishPdfHistory, markPdfHistoryRunning, findPdfHistory, listPdfHistory, PDF_OPERATIONS, PDF_HISTORY_STATUSES, PdfHistoryRecord, type PdfOperation, type PdfHistoryStatus } from './pdf-history.repository.js';

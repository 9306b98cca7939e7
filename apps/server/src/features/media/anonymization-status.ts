import type { AnonymizationStatus } from './video-status.js';

/** The `pdf_states` flags the status derives from (videos: `video-status.ts`). */
export interface PdfStateFlags {
  readonly text_meta_extracted: boolean;
  readonly sensitive_meta_processed: boolean;
  readonly anonymized: boolean;
  readonly anonymization_validated: boolean;
  readonly processing_started: boolean;
  readonly processing_error: boolean;
}

/**
 * The original's priority for `RawPdfState`: validated > sensitive meta
 * processed (needs human validation) > text extracted but not anonymized >
 * error > started > not started. A failed run clears `text_meta_extracted`
 * and `sensitive_meta_processed` (see the report import), so `failed` shows
 * although the text was read before the release gate blocked.
 */
export function pdfAnonymizationStatus(state: PdfStateFlags | undefined): AnonymizationStatus {
  if (!state) return 'not_started';
  if (state.anonymization_validated) return 'validated';
  if (state.sensitive_meta_processed) return 'done_processing_anonymization';
  if (state.text_meta_extracted && !state.anonymized) return 'processing_anonymization';
  if (state.processing_error) return 'failed';
  if (state.processing_started) return 'started';
  return 'not_started';
}

/** The original's `anonymizationStatus` values (reference-features W2). */
export const ANONYMIZATION_STATUSES = [
  'not_started',
  'started',
  'extracting_frames',
  'processing_anonymization',
  'predicting_segments',
  'done_processing_anonymization',
  'validated',
  'failed',
] as const;
export type AnonymizationStatus = (typeof ANONYMIZATION_STATUSES)[number];

/** The VideoState flags the status derives from (booleans as stored, 0/1 accepted). */
export interface VideoStateFlags {
  readonly processing_started: boolean | number;
  readonly frames_extracted: boolean | number;
  readonly anonymized: boolean | number;
  readonly sensitive_meta_processed: boolean | number;
  readonly anonymization_validated: boolean | number;
  readonly processing_error: boolean | number;
  /**
   * The original's `was_created`: a processing run exists right now (it holds the media's
   * operation lease). Without it a started file that is only queued shows `started`.
   */
  readonly processing_locked?: boolean;
}

/**
 * Status of a video, in the original's priority order (`EDB-old models/state/video.py`):
 * validated > sensitive meta processed (done, awaiting validation) > frames extracted but not
 * anonymized > run created, frames not yet extracted > error > started > not started.
 * A failed run clears `frames_extracted`, so an error is not hidden behind an earlier step.
 */
export function videoAnonymizationStatus(state: VideoStateFlags | null | undefined): AnonymizationStatus {
  if (!state) return 'not_started';
  if (state.anonymization_validated) return 'validated';
  if (state.sensitive_meta_processed) return 'done_processing_anonymization';
  if (state.frames_extracted && !state.anonymized) return 'processing_anonymization';
  if (state.processing_locked && !state.frames_extracted) return 'extracting_frames';
  if (state.processing_error) return 'failed';
  if (state.processing_started) return 'started';
  return 'not_started';
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { videoAnonymizationStatus, type VideoStateFlags } from './video-status.js';

const none: VideoStateFlags = { processing_started: false, frames_extracted: false, anonymized: false, sensitive_meta_processed: false, anonymization_validated: false, processing_error: false };

test('status follows the original priority order', () => {
  assert.equal(videoAnonymizationStatus(undefined), 'not_started');
  assert.equal(videoAnonymizationStatus(none), 'not_started');
  assert.equal(videoAnonymizationStatus({ ...none, processing_started: 1 }), 'started');
  assert.equal(videoAnonymizationStatus({ ...none, processing_started: true, processing_error: true }), 'failed');
  assert.equal(videoAnonymizationStatus({ ...none, processing_started: true, processing_locked: true }), 'extracting_frames');
  // A running re-try of a failed file shows its progress, not the old failure.
  assert.equal(videoAnonymizationStatus({ ...none, processing_error: true, processing_locked: true }), 'extracting_frames');
  assert.equal(videoAnonymizationStatus({ ...none, processing_started: true, frames_extracted: true, processing_error: true }), 'processing_anonymization');
  assert.equal(videoAnonymizationStatus({ ...none, processing_started: true, frames_extracted: true, anonymized: true }), 'started');
  assert.equal(videoAnonymizationStatus({ ...none, frames_extracted: true, sensitive_meta_processed: true }), 'done_processing_anonymization');
  assert.equal(videoAnonymizationStatus({ ...none, sensitive_meta_processed: true, anonymization_validated: 1, processing_error: true }), 'validated');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pdfAnonymizationStatus, type PdfStateFlags } from './anonymization-status.js';

const none: PdfStateFlags = { text_meta_extracted: false, sensitive_meta_processed: false, anonymized: false, anonymization_validated: false, processing_started: false, processing_error: false };

test('PDF status follows the original priority', () => {
  assert.equal(pdfAnonymizationStatus(undefined), 'not_started');
  assert.equal(pdfAnonymizationStatus(none), 'not_started');
  assert.equal(pdfAnonymizationStatus({ ...none, processing_started: true }), 'started');
  assert.equal(pdfAnonymizationStatus({ ...none, processing_started: true, processing_error: true }), 'failed');
  assert.equal(pdfAnonymizationStatus({ ...none, processing_started: true, text_meta_extracted: true }), 'processing_anonymization');
  assert.equal(pdfAnonymizationStatus({ ...none, processing_started: true, text_meta_extracted: true, anonymized: true, sensitive_meta_processed: true }), 'done_processing_anonymization');
  assert.equal(pdfAnonymizationStatus({ ...none, sensitive_meta_processed: true, anonymization_validated: true, processing_error: true }), 'validated');
});

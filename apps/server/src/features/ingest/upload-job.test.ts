import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidTransition, isComplete, isStale, isSuccessful, transition, type UploadJob } from './upload-job.js';

const now = new Date('2025-01-01T12:00:00.000Z');
const job = (status: UploadJob['status'], retentionPolicy: UploadJob['retentionPolicy'] = 'preserve_source', cleanupStatus: UploadJob['cleanupStatus'] = 'pending') => ({ id: 'j1', status, retentionPolicy, cleanupStatus });

describe('upload job state machine', () => {
  test('pending → processing → anonymized; a redelivered job may enter processing again', () => {
    assert.equal(transition(job('pending'), { kind: 'mark_processing' }, now).status, 'processing');
    assert.equal(transition(job('processing'), { kind: 'mark_processing' }, now).status, 'processing');
    const done = transition(job('processing'), { kind: 'mark_completed', sensitiveMetaId: 7 }, now);
    assert.equal(done.status, 'anonymized');
    assert.equal(done.sensitiveMetaId, 7);
    assert.deepEqual(done.from, ['pending', 'processing']);
  });

  test('completion applies the retention policy: delete_after_success becomes eligible now, the others skipped', () => {
    const eligible = transition(job('processing', 'delete_after_success'), { kind: 'mark_completed' }, now);
    assert.equal(eligible.cleanupStatus, 'eligible');
    assert.equal(eligible.sourceFileDeleteEligibleAt, now.toISOString());
    for (const policy of ['preserve_source', 'migration_managed'] as const) {
      const skipped = transition(job('processing', policy), { kind: 'mark_completed' }, now);
      assert.equal(skipped.cleanupStatus, 'skipped');
      assert.equal(skipped.sourceFileDeleteEligibleAt, null);
    }
    const cleaned = transition(job('anonymized', 'delete_after_success', 'eligible'), { kind: 'cleanup_completed' }, now);
    assert.equal(cleaned.cleanupStatus, 'completed');
    assert.equal(cleaned.sourceFilePersisted, false);
    assert.throws(() => transition(job('anonymized', 'preserve_source', 'skipped'), { kind: 'cleanup_completed' }, now), InvalidTransition);
  });

  test('error and lost carry a detail; lost is also reachable from anonymized (disk and database disagree)', () => {
    const failed = transition(job('processing'), { kind: 'mark_error', detail: '  zwei\n Zeilen ' }, now);
    assert.equal(failed.status, 'error');
    assert.equal(failed.errorDetail, 'zwei Zeilen');
    assert.equal(transition(job('anonymized'), { kind: 'mark_lost', detail: 'Datei fehlt' }, now).status, 'lost');
    assert.equal(transition(job('processing'), { kind: 'mark_error', detail: 'x'.repeat(5000) }, now).errorDetail?.length, 2000);
  });

  test('complete jobs do not move on by themselves; only a retry reopens error and lost', () => {
    for (const status of ['anonymized', 'error', 'lost'] as const) {
      assert.throws(() => transition(job(status), { kind: 'mark_processing' }, now), InvalidTransition);
      assert.throws(() => transition(job(status), { kind: 'mark_error', detail: 'x' }, now), InvalidTransition);
    }
    assert.throws(() => transition(job('error'), { kind: 'mark_completed' }, now), InvalidTransition);
    const reopened = transition(job('error'), { kind: 'reopen' }, now);
    assert.equal(reopened.status, 'pending');
    assert.equal(reopened.storageClass, 'ingest');
    assert.equal(reopened.dismissed, null);
    assert.throws(() => transition(job('pending'), { kind: 'reopen' }, now), InvalidTransition);
  });

  test('is_complete, is_successful and staleness after 2 h without progress', () => {
    assert.deepEqual(['pending', 'processing', 'anonymized', 'error', 'lost'].map((s) => isComplete(s as UploadJob['status'])), [false, false, true, true, true]);
    assert.equal(isSuccessful('anonymized'), true);
    assert.equal(isSuccessful('error'), false);
    assert.equal(isStale({ status: 'pending', updatedAt: '2025-01-01T09:59:00.000Z' }, now), true);
    assert.equal(isStale({ status: 'processing', updatedAt: '2025-01-01T10:01:00.000Z' }, now), false);
    assert.equal(isStale({ status: 'anonymized', updatedAt: '2024-01-01T00:00:00.000Z' }, now), false);
  });
});

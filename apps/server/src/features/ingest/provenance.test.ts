import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Invalid } from '../../shared/errors.js';
import { checkedProvenance, mergeProvenance, Provenance } from './provenance.js';

const EVERY_SPEC_KEY = [
  'entrypoint', 'ingest_mode', 'source_system', 'content_hash', 'source_center_key', 'storage_class', 'storage_tier', 'retention_policy', 'hub_mode',
  'declared_center_key', 'declared_center_name', 'resolved_center_key', 'watched_path', 'file_type', 'ingest_variant', 'sidecar_path', 'sidecar_payload',
  'watcher_processing_path', 'processor_name', 'processing_handoff', 'stored_upload_path', 'quarantined_path', 'quarantined_sidecar_path', 'custom_marker',
  'legacy_source_path', 'migrated_destination_path', 'local_study_server', 'video_import_task_id', 'video_import_queue', 'video_import_fencing_epoch',
  'media_integrity_status', 'previous_upload_job_id',
];

describe('processing provenance', () => {
  test('every key of §3.3 is known', () => {
    const known = Object.keys(Provenance.shape);
    for (const key of EVERY_SPEC_KEY) assert.ok(known.includes(key), key);
  });

  test('unknown keys and wrong values are refused', () => {
    assert.throws(() => checkedProvenance({ entrypoint: 'upload_api', entry_point: 'typo' }), Invalid);
    assert.throws(() => checkedProvenance({ ingest_mode: 'email' }), Invalid);
    assert.throws(() => checkedProvenance({ content_hash: 'not-a-hash' }), Invalid);
    assert.throws(() => checkedProvenance({ processing_handoff: 'thread' }), Invalid);
    assert.deepEqual(checkedProvenance({ ingest_mode: 'watcher', sidecar_payload: { casenumber: 'x' } }), { ingest_mode: 'watcher', sidecar_payload: { casenumber: 'x' } });
  });

  test('merging keeps what the patch leaves undefined and validates the result', () => {
    const merged = mergeProvenance({ entrypoint: 'upload_api', quarantined_path: '/q/a.pdf' }, { quarantined_path: null, retry_count: 1, processor_name: undefined });
    assert.deepEqual(merged, { entrypoint: 'upload_api', quarantined_path: null, retry_count: 1 });
    assert.throws(() => mergeProvenance({}, { retry_count: -1 }), Invalid);
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/engines.js';
import { configFrom, tempDataRoot } from '../../../test/helpers/env.js';
import { validateCreate } from './receiver.validation.js';

const h = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('hub create payload: envelope requirement and node secret settings', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase('sqlite');
    const now = new Date().toISOString();
    const center = await t.db.insertInto('centers').values({ name: 'A', display_name: '', center_key: 'klinik-a', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    await t.db
      .insertInto('network_nodes')
      .values([
        { node_key: 'site-a', display_name: 'A', role: 'site_node', base_url: '', is_active: true, shared_secret_hash: null, owning_center_id: Number(center.id), created_at: now, updated_at: now },
        { node_key: 'hub', display_name: 'Hub', role: 'central_hub', base_url: 'https://hub.example.org', is_active: true, shared_secret_hash: null, owning_center_id: null, created_at: now, updated_at: now },
      ])
      .execute();
  });
  after(() => t.dispose());

  const payload = (schema: string) => ({
    transfer_key: 'k',
    source_node_key: 'site-a',
    resource_kind: 'video',
    resource_hash: h('raw'),
    transfer_mode: 'metadata_and_processed_media',
    processing_policy: 'preserve_processing_state',
    processing_intent: 'sender_requests_state_preservation',
    cleanup_policy: 'retain_all',
    payload_schema_version: schema,
    resource_rows: {
      video_file: { video_hash: h('raw'), processed_video_hash: h('p'), suffix: '.mp4', fps: null, duration: null, frame_count: null, width: null, height: null },
      video_state: { anonymized: true, anonymization_validated: true, processing_error: false, processed_file_sha256: h('p') },
    },
  });

  test('2.0 and 3.0 by default; ENDOREG_HUB_TRANSFER_REQUIRE_ENVELOPE leaves only 3.0; the target defaults to the active hub', async () => {
    const two = await validateCreate(t.db, payload('2.0'), { requireEnvelope: false });
    assert.equal(two.ok, true);
    assert.equal(two.ok && two.value.targetNode.nodeKey, 'hub');
    assert.equal(two.ok && two.value.sourceCenterKey, 'klinik-a');
    const refused = await validateCreate(t.db, payload('2.0'), { requireEnvelope: true });
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.errors.payload_schema_version);
    assert.equal((await validateCreate(t.db, payload('3.0'), { requireEnvelope: true })).ok, true);
    const mismatch = { ...payload('3.0'), resource_rows: { ...payload('3.0').resource_rows, video_state: { ...payload('3.0').resource_rows.video_state, processed_file_sha256: h('other') } } };
    assert.equal((await validateCreate(t.db, mismatch, { requireEnvelope: false })).ok, false);
  });

  test('the sender secret: per-node variable first, then the shared one; the flag and key files are read', () => {
    const root = tempDataRoot();
    const s = configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, LX_ANNOTATE_HUB_SOURCE_NODE_SECRET_SITE_A: 'per-node', LX_ANNOTATE_HUB_SOURCE_NODE_SECRET: 'shared', ENDOREG_HUB_TRANSFER_REQUIRE_ENVELOPE: '1' }).settings;
    assert.equal(s.hubExport.sourceNodeSecret('site-a')?.reveal(), 'per-node');
    assert.equal(s.hubExport.sourceNodeSecret('site-b')?.reveal(), 'shared');
    assert.equal(s.hub.requireEnvelope, true);
    assert.deepEqual(configFrom({ DJANGO_ENV: 'test', DATA_DIR: root, ENDOREG_HUB_TRANSFER_RECIPIENT_PRIVATE_KEY_FILES: '/a.pem, /b.pem' }).settings.hub.recipientPrivateKeyFiles, ['/a.pem', '/b.pem']);
    assert.equal(configFrom({ DJANGO_ENV: 'test', DATA_DIR: root }).settings.hubExport.sourceNodeSecret('site-a'), undefined);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../test/helpers/engines.js';
import { CentersService } from '../centers/index.js';
import {
  acquireMediaLease,
  clearMediaLeases,
  findHlsArtifact,
  findHlsArtifactByKey,
  findVideo,
  finishHistory,
  insertVideoFile,
  listHistory,
  listVideos,
  lockedMediaIds,
  releaseMediaLease,
  reportProgress,
  saveHlsArtifact,
  setVideoState,
  startHistory,
  videoAnonymizationStatus,
} from './index.js';

for (const engine of ENGINES) {
  describe(`video repositories on ${engine}`, () => {
    let t: TestDatabase;
    let centerA: number;
    let centerB: number;
    let videoId: number;
    before(async () => {
      t = await createTestDatabase(engine);
      const centers = new CentersService(t.db);
      centerA = (await centers.ensureCenter({ name: 'A', centerKey: 'a' })).id;
      centerB = (await centers.ensureCenter({ name: 'B', centerKey: 'b' })).id;
      const now = new Date().toISOString();
      const meta = await t.db.insertInto('sensitive_meta').values({ center_id: centerA, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
      videoId = (await insertVideoFile(t.db, { centerId: centerA, processorId: null, rawFile: 'videos/raw/x.mp4', videoHash: 'a'.repeat(64), originalFileName: 'x.mp4', uploadJobId: null, sensitiveMetaId: Number(meta.id) }, now)).id;
    });
    after(() => t.dispose());

    test('video with state: one normalized shape, status derived, center scope', async () => {
      let video = (await findVideo(t.db, videoId))!;
      assert.equal(video.processing_started, false);
      assert.equal(videoAnonymizationStatus(video), 'not_started');
      await setVideoState(t.db, videoId, { processing_started: true, frames_extracted: true }, new Date().toISOString());
      video = (await findVideo(t.db, videoId))!;
      assert.equal(video.frames_extracted, true);
      assert.equal(videoAnonymizationStatus(video), 'processing_anonymization');
      await setVideoState(t.db, videoId, { sensitive_meta_processed: true, anonymized: true, processed_file_sha256: 'b'.repeat(64) }, new Date().toISOString());
      assert.equal(videoAnonymizationStatus((await findVideo(t.db, videoId))!), 'done_processing_anonymization');
      assert.deepEqual((await listVideos(t.db, [centerA])).map((v) => v.id), [videoId]);
      assert.deepEqual(await listVideos(t.db, [centerB]), []);
      assert.deepEqual(await listVideos(t.db, []), []);
      assert.equal((await listVideos(t.db, 'all')).length, 1);
    });

    test('processing history: running → progress → finished with duration', async () => {
      const started = new Date(Date.now() - 1500).toISOString();
      const id = await startHistory(t.db, { videoId, operation: 'mask_overlay', config: { strategy: 'safe' }, taskId: 'job-1' }, started);
      await reportProgress(t.db, id, 0.5, 'encode');
      let [entry] = await listHistory(t.db, videoId);
      assert.equal(entry!.status, 'running');
      assert.equal(entry!.progress, 0.5);
      await finishHistory(t.db, id, { status: 'succeeded', output: { removed_frames: 0 } }, new Date().toISOString());
      [entry] = await listHistory(t.db, videoId);
      assert.equal(entry!.status, 'succeeded');
      assert.equal(entry!.progress, 1);
      assert.deepEqual(entry!.config, { strategy: 'safe' });
      assert.ok(entry!.duration_ms! >= 1400);
    });

    test('HLS artifact: one per video and kind, replaced in place, found by key id', async () => {
      const now = new Date().toISOString();
      await saveHlsArtifact(t.db, videoId, 'processed', { status: 'materializing', keyId: 'k1' }, now);
      await saveHlsArtifact(t.db, videoId, 'processed', { status: 'ready', keyId: 'k2', ivHex: '0'.repeat(32), segmentCount: 3, wrappedKey: { key_ciphertext: 'AA==', key_nonce: 'AA==', key_wrap_algorithm: 'AESGCM-master-wrap-v1', master_key_id: 'm' } }, now);
      const artifact = (await findHlsArtifact(t.db, videoId, 'processed'))!;
      assert.equal(artifact.status, 'ready');
      assert.equal(artifact.segment_count, 3);
      assert.equal((await findHlsArtifactByKey(t.db, videoId, 'k2'))!.id, artifact.id);
      assert.equal(await findHlsArtifactByKey(t.db, videoId, 'k1'), undefined);
      assert.equal(await findHlsArtifact(t.db, videoId, 'raw'), undefined);
    });

    test('operation lease: exclusive, re-entrant for its owner, taken over after expiry, cleared', async () => {
      const now = new Date().toISOString();
      const later = new Date(Date.now() + 60_000).toISOString();
      assert.equal(await acquireMediaLease(t.db, { mediaType: 'video', mediaId: videoId, operation: 'mask_overlay', owner: 'one', expiresAt: later }, now), true);
      assert.equal(await acquireMediaLease(t.db, { mediaType: 'video', mediaId: videoId, operation: 'mask_overlay', owner: 'two', expiresAt: later }, now), false);
      assert.equal(await acquireMediaLease(t.db, { mediaType: 'video', mediaId: videoId, operation: 'hls', owner: 'one', expiresAt: later }, now), true);
      assert.deepEqual([...(await lockedMediaIds(t.db, 'video', [videoId], now))], [videoId]);
      assert.equal(await acquireMediaLease(t.db, { mediaType: 'video', mediaId: videoId, operation: 'mask_overlay', owner: 'two', expiresAt: later }, new Date(Date.now() + 120_000).toISOString()), true, 'expired lease taken over');
      await releaseMediaLease(t.db, 'video', videoId, 'one');
      assert.equal((await lockedMediaIds(t.db, 'video', [videoId], now)).size, 1, 'only the owner releases');
      assert.equal(await clearMediaLeases(t.db, 'video'), 1);
      assert.equal((await lockedMediaIds(t.db, 'video', [videoId], now)).size, 0);
    });
  });
}

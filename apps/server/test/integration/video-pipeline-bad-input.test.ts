// Bad input through the same path as real uploads (POST upload/ → worker → video import):
// each failure ends with a clear German error_detail on the upload job and in the video's
// processing history, the raw file stays stored and can be re-imported, and no decrypted
// video, crop or key file is left. An aborted run leaves nothing behind either and a
// second run redoes the file cleanly.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ffmpeg, makeNumberedVideo } from '../../src/adapters/ffmpeg/testdata/fixtures.js';
import { findProcessorId, findVideo, insertVideoFile, listHistory, lockedMediaIds, videoAnonymizationStatus } from '../../src/features/media/index.js';
import { upload } from './ingest-support.js';
import { post, startVideoSystem, tempFilesLeft, waitFor, type VideoTestSystem } from './video-support.js';

describe('bad video input through upload and worker', () => {
  let system: VideoTestSystem;
  let inputs: string;

  before(async () => {
    inputs = await mkdtemp(join(tmpdir(), 'lx-video-bad-'));
    system = await startVideoSystem();
  });
  after(async () => {
    await system?.dispose();
    await rm(inputs, { recursive: true, force: true });
  });

  /** Uploads a file; either the upload itself refuses it, or the job ends in `error` with the expected detail. */
  async function failsThroughPipeline(name: string, content: Buffer, expected: RegExp, options: { refusedAtUpload?: boolean } = {}): Promise<void> {
    const r = await upload(system.base, system.sessions.klinikA, { name, content, type: 'video/mp4' });
    if (options.refusedAtUpload) {
      assert.equal(r.status, 400);
      assert.match(r.body.error, expected, `refused at upload with a clear reason: ${r.body.error}`);
      return;
    }
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const job = await waitFor('upload job to fail', async () => {
      const row = await system.runtime.db.selectFrom('upload_jobs').selectAll().where('id', '=', r.body.upload_id).executeTakeFirst();
      return row && ['anonymized', 'error'].includes(row.status) ? row : undefined;
    });
    assert.equal(job.status, 'error');
    assert.match(job.error_detail, expected);
    assert.doesNotMatch(job.error_detail, /\/tmp|\/storage|\.video/, 'no paths in the error detail');

    const row = await system.runtime.db.selectFrom('video_files').select('id').where('upload_job_id', '=', job.id).executeTakeFirstOrThrow();
    const video = (await findVideo(system.runtime.db, Number(row.id)))!;
    assert.equal(videoAnonymizationStatus(video), 'failed');
    assert.equal(video.processed_file, null, 'nothing half-written');
    const storage = await system.runtime.storage.service();
    assert.ok(video.raw_file && (await storage.exists(video.raw_file)), 'the raw file stays stored');
    const failed = (await listHistory(system.runtime.db, video.id)).find((h) => h.status === 'failed')!;
    assert.match(failed.error_detail, expected);
    assert.deepEqual(await tempFilesLeft(system), [], 'no temp or key file left');

    // Reprocessable from the stored raw file: the re-import runs (and fails the same way).
    const before = (await listHistory(system.runtime.db, video.id)).length;
    const again = await post(system, system.sessions.klinikA, `/api/media/videos/${video.id}/reimport/`);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    await waitFor('re-import to finish', async () => {
      const entries = await listHistory(system.runtime.db, video.id);
      return entries.length > before && entries.every((e) => e.status !== 'running') && !(await lockedMediaIds(system.runtime.db, 'video', [video.id], new Date().toISOString())).size ? entries : undefined;
    });
    assert.match((await listHistory(system.runtime.db, video.id))[0]!.error_detail, expected);
    assert.ok(await storage.exists(video.raw_file));
    assert.deepEqual(await tempFilesLeft(system), []);
  }

  test('zero-length video: refused by the upload itself (the pipeline refuses it too: see video-bad-input.test.ts)', async () => {
    await failsThroughPipeline('leer.mp4', Buffer.alloc(0), /empty|leer/, { refusedAtUpload: true });
  });

  test('truncated video', async () => {
    const whole = join(inputs, 'whole.mp4');
    await makeNumberedVideo(whole, { frames: 100, width: 320, height: 64 });
    const cut = join(inputs, 'cut.mp4');
    await copyFile(whole, cut);
    await truncate(cut, Math.floor((await stat(whole)).size / 2));
    await failsThroughPipeline('abgeschnitten.mp4', await readFile(cut), /unvollständig|abgeschnitten|kein lesbares Video/);
  });

  test('audio-only file', async () => {
    const path = join(inputs, 'audio.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', '-f', 'mp4', path]);
    await failsThroughPipeline('nur-ton.mp4', await readFile(path), /nur Ton|keinen Videostrom|kein Video/i);
  });

  test('one-frame video', async () => {
    const path = join(inputs, 'one.mp4');
    await makeNumberedVideo(path, { frames: 1, width: 320, height: 64 });
    await failsThroughPipeline('ein-bild.mp4', await readFile(path), /nur 1 Bild/);
  });

  test('an aborted run leaves no temp or key file and no false error; the next run redoes the video cleanly', async () => {
    const path = join(inputs, 'longer.mp4');
    await makeNumberedVideo(path, { frames: 250, width: 640, height: 360 });
    const { db } = system.runtime;
    const storage = await system.runtime.storage.service();
    const raw = await storage.write('videos/raw/abort-test.mp4', createReadStream(path));
    const center = await db.selectFrom('centers').select('id').where('center_key', '=', 'klinik-a').executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    const meta = await db.insertInto('sensitive_meta').values({ center_id: Number(center.id), created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    const { id } = await insertVideoFile(
      db,
      { centerId: Number(center.id), processorId: (await findProcessorId(db, 'olympus_cv_1500')) ?? null, rawFile: raw.relativePath, videoHash: raw.sha256Hex, originalFileName: 'x.mp4', uploadJobId: null, sensitiveMetaId: Number(meta.id) },
      now,
    );
    const controller = new AbortController();
    const running = system.runtime.videos.processing.anonymize(id, { signal: controller.signal });
    await waitFor('the run to be inside a tool', async () => ((await listHistory(db, id)).some((h) => h.operation === 'analysis' && h.progress > 0) ? true : undefined), 30_000);
    controller.abort();
    await assert.rejects(running);
    const video = (await findVideo(db, id))!;
    assert.equal(video.processing_error, false, 'an abort is no verdict on the file');
    assert.equal(video.processed_file, null);
    assert.equal((await lockedMediaIds(db, 'video', [id], new Date().toISOString())).size, 0, 'lease released');
    assert.ok((await listHistory(db, id)).some((h) => h.status === 'cancelled' || h.status === 'failed'));
    assert.deepEqual(await tempFilesLeft(system), [], 'no decrypted video or crop left after the abort');

    const outcome = await system.runtime.videos.processing.anonymize(id, {});
    assert.equal(outcome.status, 'done');
    const done = (await findVideo(db, id))!;
    assert.equal(videoAnonymizationStatus(done), 'done_processing_anonymization');
    assert.ok(done.processed_file && (await storage.exists(done.processed_file)));
    assert.equal((await system.runtime.videos.processing.anonymize(id, {})).status, 'already_done', 'idempotent: a second run returns early');
    await waitFor('HLS of the processed file', async () => {
      const row = await db.selectFrom('video_hls_artifacts').select('status').where('video_file_id', '=', id).where('kind', '=', 'processed').executeTakeFirst();
      return row && row.status !== 'materializing' ? row : undefined;
    });
    assert.deepEqual(await tempFilesLeft(system), [], 'no key or plaintext source file left after HLS either');
  });
});

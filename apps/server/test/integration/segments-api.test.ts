// The segments API on the real app (both engines): CRUD and bulk with optimistic concurrency,
// center isolation, time↔frame conversion on the exact frame index, validation and the
// post-validation rebuild (frames inside validated outside segments really become black), and
// the temporal ONNX classifier whose prediction segments appear where the video's content changes.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MediaTools } from '../../src/adapters/ffmpeg/index.js';
import { MATERIALIZE_HLS_JOB, POST_VALIDATION_REBUILD_JOB, PREDICT_SEGMENTS_JOB, segmentStatusSummaries } from '../../src/features/segments/index.js';
import type { App } from '../../src/http/app.js';
import type { Runtime } from '../../src/main/compose.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { tempDataRoot } from '../helpers/env.js';
import { ingestEnv, signIn, STRONG_PASSWORD } from './ingest-support.js';
import { BRIGHT_FRAMES, call, FRAME_COUNT, insertProcessedVideo, makeBrightnessVideo, startSegmentsApp, storedFrameBrightness, testTools, writeBrightnessModel } from './segments-support.js';

let work: string;
let videoPath: string;
let modelPath: string;
let tools: MediaTools;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'lx-segments-'));
  videoPath = makeBrightnessVideo(work);
  modelPath = await writeBrightnessModel(work);
  tools = testTools();
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

for (const engine of ENGINES) {
  describe(`segments API on ${engine}`, () => {
    let t: TestDatabase;
    let runtime: Runtime;
    let app: App;
    let base: string;
    let videoId: number;
    let otherVideoId: number;
    const h: Record<string, Record<string, string>> = {};
    const seg = (path = '') => `/endoreg-api/media/videos/${videoId}/segments/${path}`;
    /** Runs a real worker of the job's queue (every handler of that queue) until the job has an outcome; returns its record. */
    const runJob = async (jobId: string, expectedName: string) => {
      const definition = runtime.jobs.get(expectedName)!;
      assert.equal((await runtime.jobQueue.get(jobId))?.name, expectedName);
      const worker = await runtime.jobQueue.work([definition.queue], runtime.jobs.forQueues([definition.queue]), { concurrency: 1 });
      try {
        for (let i = 0; i < 600; i += 1) {
          const job = await runtime.jobQueue.get(jobId);
          if (job && !['queued', 'active'].includes(job.state)) return job;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`job ${jobId} did not finish`);
      } finally {
        await worker.stop({ graceMs: 5000 });
      }
    };
    /** The same job delivered once more (at-least-once delivery), straight to its handler. */
    const redeliver = async (jobId: string, name: string): Promise<void> => {
      const definition = runtime.jobs.get(name)!;
      const job = await runtime.jobQueue.get(jobId);
      await definition.handler(definition.payload.parse(job!.payload), { jobId, attempt: 2, maxAttempts: 3, signal: new AbortController().signal, logger: runtime.logger, queue: runtime.jobQueue });
    };

    before(async () => {
      t = await createTestDatabase(engine);
      const env = ingestEnv(t.env, tempDataRoot(), { LABEL_VIDEO_SEGMENT_MIN_DURATION_S_FOR_ANNOTATION: '0.5', LX_ANNOTATE_INFERENCE_SAMPLES_PER_SECOND: '0' });
      ({ runtime, app, base } = await startSegmentsApp(env));
      await runtime.knowledgeBase.loadBaseData({ defaultCenterKey: 'klinik-a' });
      const a = await runtime.db.selectFrom('centers').select('id').where('center_key', '=', 'klinik-a').executeTakeFirstOrThrow();
      const b = await runtime.centers.ensureCenter({ name: 'Klinik B', centerKey: 'klinik-b' });
      const users = runtime.auth.users;
      await users.create({ username: 'annotator', password: STRONG_PASSWORD, roles: ['data:write'], centerKeys: ['klinik-a'] }, 'test');
      await users.create({ username: 'second', password: STRONG_PASSWORD, roles: ['data:write'], centerKeys: ['klinik-a'] }, 'test');
      await users.create({ username: 'other', password: STRONG_PASSWORD, roles: ['data:write'], centerKeys: ['klinik-b'] }, 'test');
      await users.create({ username: 'reader', password: STRONG_PASSWORD, roles: ['data:read'], centerKeys: ['klinik-a'] }, 'test');
      for (const name of ['annotator', 'second', 'other', 'reader']) h[name] = (await signIn(base, name)).headers;
      videoId = await insertProcessedVideo(runtime, Number(a.id), videoPath, `${engine}a`);
      otherVideoId = await insertProcessedVideo(runtime, b.id, videoPath, `${engine}b`);
    });
    after(async () => {
      await app.close();
      await runtime.close();
      await t.dispose();
    });

    test('label, label-set and model lists answer under both prefixes', async () => {
      for (const prefix of ['/api/', '/endoreg-api/']) {
        const labels = await call(base, h.reader!, 'GET', `${prefix}media/videos/labels/list/`);
        assert.equal(labels.status, 200);
        assert.ok(labels.body.some((l: any) => l.name === 'outside' && typeof l.id === 'number'));
        const sets = await call(base, h.reader!, 'GET', `${prefix}media/videos/label-sets/list/`);
        assert.deepEqual(sets.body.map((s: any) => `${s.name}:${s.version}:${s.labels.length}`).sort(), ['multilabel_classification_colonoscopy_default:1:14', 'multilabel_classification_colonoscopy_default:2:12']);
      }
      const models = await call(base, h.reader!, 'GET', '/api/media/videos/prediction-models/list/');
      assert.deepEqual(models.body.models, []);
      assert.equal(models.body.default_huggingface_model_id, 'wg-lux/colo_segmentation_RegNetX800MF_base');
    });

    test('a segment created by times is stored in exact frames (end exclusive) and read back with its times', async () => {
      const r = await call(base, h.annotator!, 'POST', seg(), { label_name: 'polyp', start_time: 1.02, end_time: 2.5 });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.start_frame_number, 10);
      assert.equal(r.body.end_frame_number, 25);
      assert.equal(r.body.start_time, 1);
      assert.equal(r.body.end_time, 2.5);
      assert.equal(r.body.annotator, 'annotator');
      assert.equal(r.body.segment_origin, 'manual');
      assert.equal(r.body.source_name, 'manual_annotation');
      const toEnd = await call(base, h.annotator!, 'POST', seg(), { label_name: 'blood', start_frame_number: 50, end_time: 6 });
      assert.equal(toEnd.body.end_frame_number, FRAME_COUNT, 'the video end is the exclusive end frame');
      const list = await call(base, h.reader!, 'GET', `/api/media/videos/${videoId}/segments/?source_kind=manual&label=polyp`);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.map((s: any) => s.id), [r.body.id]);
    });

    test('bad bounds, unknown labels and segments below the minimum duration are refused with German messages', async () => {
      const short = await call(base, h.annotator!, 'POST', seg(), { label_name: 'polyp', start_frame_number: 0, end_frame_number: 3 });
      assert.equal(short.status, 400);
      assert.match(short.body.error, /Mindestdauer beträgt 0.5 s/);
      const outside = await call(base, h.annotator!, 'POST', seg(), { label_name: 'polyp', start_time: 5, end_time: 9 });
      assert.equal(outside.status, 400);
      assert.match(outside.body.error, /außerhalb des Videos/);
      const unknown = await call(base, h.annotator!, 'POST', seg(), { label_name: 'no-such-label', start_frame_number: 0, end_frame_number: 10 });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.error, /Unbekanntes Label/);
    });

    test('another center sees 403, a reader may list but not write', async () => {
      assert.equal((await call(base, h.other!, 'GET', seg())).status, 403);
      assert.equal((await call(base, h.other!, 'POST', seg(), { label_name: 'polyp', start_frame_number: 0, end_frame_number: 10 })).status, 403);
      assert.equal((await call(base, h.annotator!, 'GET', `/api/media/videos/${otherVideoId}/segments/`)).status, 403);
      assert.equal((await call(base, h.reader!, 'GET', seg())).status, 200);
      assert.equal((await call(base, h.reader!, 'POST', seg(), { label_name: 'polyp', start_frame_number: 0, end_frame_number: 10 })).status, 403);
      assert.equal((await call(base, h.annotator!, 'GET', `/api/media/videos/999999/segments/`)).status, 404);
    });

    test('PATCH with a stale version answers 409 and changes nothing; the current version applies', async () => {
      const created = await call(base, h.annotator!, 'POST', seg(), { label_name: 'snare', start_frame_number: 30, end_frame_number: 40 });
      const first = await call(base, h.annotator!, 'PATCH', seg(`${created.body.id}/`), { end_frame_number: 42, version: created.body.version });
      assert.equal(first.status, 200);
      assert.equal(first.body.version, created.body.version + 1);
      const stale = await call(base, h.second!, 'PATCH', seg(`${created.body.id}/`), { end_frame_number: 35, version: created.body.version });
      assert.equal(stale.status, 409);
      assert.match(stale.body.error, /inzwischen geändert/);
      assert.equal((await call(base, h.reader!, 'GET', seg(`${created.body.id}/`))).body.end_frame_number, 42);
      assert.equal((await call(base, h.annotator!, 'DELETE', `${seg(`${created.body.id}/`)}?version=${created.body.version}`)).status, 409);
      assert.equal((await call(base, h.annotator!, 'DELETE', `${seg(`${created.body.id}/`)}?version=${first.body.version}`)).status, 204);
      assert.equal((await call(base, h.reader!, 'GET', seg(`${created.body.id}/`))).status, 404);
    });

    test('bulk creates, updates and deletes in one transaction: one bad entry saves nothing', async () => {
      const a = await call(base, h.annotator!, 'POST', seg(), { label_name: 'nbi', start_frame_number: 0, end_frame_number: 10 });
      const b = await call(base, h.annotator!, 'POST', seg(), { label_name: 'nbi', start_frame_number: 10, end_frame_number: 20 });
      const before = (await call(base, h.reader!, 'GET', seg())).body.length;
      const bad = await call(base, h.annotator!, 'POST', seg('bulk/'), {
        creates: [{ client_id: 'c1', label_name: 'nbi', start_time: 3, end_time: 4 }],
        updates: [{ id: a.body.id, label_name: 'nope' }],
        deletes: [b.body.id],
      });
      assert.equal(bad.status, 400);
      assert.equal((await call(base, h.reader!, 'GET', seg())).body.length, before, 'nothing of the failed bulk was saved');
      const good = await call(base, h.annotator!, 'PATCH', seg('bulk/'), {
        creates: [{ client_id: 'c1', label_name: 'nbi', start_time: 3, end_time: 4, annotator: 'Dr. Zweitmeinung' }],
        updates: [{ id: a.body.id, end_time: 1.5, version: a.body.version }],
        deletes: [b.body.id],
      });
      assert.equal(good.status, 200, JSON.stringify(good.body));
      assert.equal(good.body.created[0].client_id, 'c1');
      assert.deepEqual([good.body.created[0].segment.start_frame_number, good.body.created[0].segment.end_frame_number], [30, 40]);
      assert.equal(good.body.created[0].segment.annotator, 'Dr. Zweitmeinung');
      assert.equal(good.body.updated[0].end_frame_number, 15);
      assert.deepEqual(good.body.deleted, [b.body.id]);
      assert.equal((await call(base, h.reader!, 'GET', seg(`${b.body.id}/`))).status, 404);
      for (const s of [good.body.created[0].segment, good.body.updated[0]]) {
        assert.equal((await call(base, h.annotator!, 'DELETE', seg(`${s.id}/`))).status, 204);
      }
    });

    test('temporal ONNX predictions: 202 on the inference queue, segments where the content changes, copy into manual', async () => {
      const model = await runtime.segments.models.register({ onnxFile: modelPath, name: 'brightness-test', labelsetName: 'multilabel_classification_colonoscopy_default', labelsetVersion: 1, outputLabels: ['outside', 'polyp'], inputWidth: 8, inputHeight: 8, mean: [0, 0, 0], std: [1, 1, 1], registeredBy: 'test' });
      const listed = await call(base, h.reader!, 'GET', '/endoreg-api/media/videos/prediction-models/list/');
      assert.deepEqual(listed.body.models.map((m: any) => [m.id, m.name, m.weights_available, m.is_active]), [[model.id, 'brightness-test', true, true]]);
      const hf = await call(base, h.annotator!, 'POST', seg('rerun-predictions/'), { hf_model_id: 'wg-lux/unknown' });
      assert.equal(hf.status, 400);
      assert.match(hf.body.error, /nie aus dem Internet geladen/);
      const queued = await call(base, h.annotator!, 'POST', seg('rerun-predictions/'), { model_meta_id: model.id, replace_prediction_segments: true });
      assert.equal(queued.status, 202, JSON.stringify(queued.body));
      const job = await runtime.jobQueue.get(queued.body.job_id);
      assert.equal(job?.queue, 'inference');
      assert.equal((await runJob(queued.body.job_id, PREDICT_SEGMENTS_JOB)).state, 'completed');

      const predicted = (await call(base, h.reader!, 'GET', `${seg()}?source_kind=prediction`)).body;
      const byLabel = (name: string) => predicted.filter((s: any) => s.label_name === name).map((s: any) => [s.start_frame_number, s.end_frame_number]);
      const polyp = byLabel('polyp');
      const outside = byLabel('outside');
      assert.equal(polyp.length, 1, JSON.stringify(predicted));
      assert.ok(Math.abs(polyp[0][0] - BRIGHT_FRAMES.startFrame) <= 2 && Math.abs(polyp[0][1] - BRIGHT_FRAMES.endFrame) <= 2, `polyp ${polyp[0]}`);
      assert.equal(outside.length, 2);
      assert.equal(outside[0][0], 0);
      assert.equal(outside[0][1], polyp[0][0], 'outside ends where the bright part begins');
      assert.equal(outside[1][0], polyp[0][1]);
      assert.equal(outside[1][1], FRAME_COUNT);
      assert.ok(predicted.every((s: any) => s.segment_origin === 'prediction' && s.prediction_meta_id !== null && s.annotator === 'model:brightness-test:v1'));
      const meta = await runtime.db.selectFrom('video_prediction_meta').selectAll().where('video_file_id', '=', videoId).executeTakeFirstOrThrow();
      assert.equal(Number(meta.sampled_frames), FRAME_COUNT);
      assert.ok(JSON.parse(meta.label_summary).polyp.positive_fraction > 0.25);

      assert.equal((await call(base, h.annotator!, 'PATCH', seg(`${predicted[0].id}/`), { end_frame_number: 5 })).status, 409, 'predictions are read-only');
      const imported = await call(base, h.second!, 'POST', seg('import-predictions/'), {});
      assert.equal(imported.status, 200);
      assert.equal(imported.body.created, 3);
      assert.ok(imported.body.segments.every((s: any) => s.segment_origin === 'manual' && s.annotator === 'second'));
      const again = await call(base, h.second!, 'POST', seg('import-predictions/'), {});
      assert.deepEqual([again.body.created, again.body.skipped], [0, 3]);
      const rerun = await call(base, h.annotator!, 'POST', seg('rerun-predictions/'), {});
      assert.equal((await runJob(rerun.body.job_id, PREDICT_SEGMENTS_JOB)).state, 'completed');
      assert.equal((await call(base, h.reader!, 'GET', `${seg()}?source_kind=prediction`)).body.length, 3, 'a rerun replaces the prediction segments');
      for (const s of imported.body.segments) assert.equal((await call(base, h.second!, 'DELETE', seg(`${s.id}/`))).status, 204);
    });

    test('validate all → cleanup_queued; the rebuild blackens exactly the validated outside frames and queues the HLS rebuild', async () => {
      const start = await call(base, h.annotator!, 'GET', seg('validation-status/'));
      assert.equal(start.body.status, 'not_started');
      const unvalidated = await call(base, h.annotator!, 'POST', seg(), { label_name: 'outside', start_frame_number: 0, end_frame_number: 10 });
      const out = await call(base, h.annotator!, 'POST', seg(), { label_name: 'outside', start_time: 4.5, end_time: 5.5 });
      assert.deepEqual([out.body.start_frame_number, out.body.end_frame_number], [45, 55]);
      const mine = (await call(base, h.reader!, 'GET', `${seg()}?source_kind=manual`)).body.filter((s: any) => s.id !== unvalidated.body.id);
      const stale = await call(base, h.annotator!, 'POST', seg('validate-bulk/'), { segment_ids: [out.body.id], segments: [{ id: out.body.id, start_time: 4.0, end_time: 5.5 }], is_validated: true });
      assert.equal(stale.status, 409, 'validating bounds the client did not see is refused');
      const validated = await call(base, h.annotator!, 'POST', seg('validate-bulk/'), {
        segment_ids: mine.map((s: any) => s.id),
        segments: mine.map((s: any) => ({ id: s.id, start_time: s.start_time, end_time: s.end_time })),
        is_validated: true,
        notes: 'geprüft',
        information_source_name: 'manual_annotation',
      });
      assert.equal(validated.status, 200, JSON.stringify(validated.body));
      assert.equal(validated.body.updated_count, mine.length);
      assert.equal(validated.body.segment_annotation_status.status, 'cleanup_queued');
      assert.deepEqual(validated.body.segment_annotation_status.validated_annotators, ['annotator']);
      const locked = await call(base, h.annotator!, 'PATCH', seg(`${out.body.id}/`), { end_frame_number: 58 });
      assert.equal(locked.status, 409);
      assert.match(locked.body.error, /validiert und schreibgeschützt/);

      const job = await runtime.jobQueue.get(validated.body.job_id);
      assert.equal(job?.queue, 'ffmpeg_media');
      assert.equal((await runJob(validated.body.job_id, POST_VALIDATION_REBUILD_JOB)).state, 'completed');
      const status = (await call(base, h.reader!, 'GET', `/api/media/videos/${videoId}/segments/validation-status/`)).body;
      assert.equal(status.status, 'validated', status.detail);
      assert.equal(status.outside_segments_removed, true);
      assert.equal(status.blackened_frames, 10);
      const summaries = await segmentStatusSummaries(runtime.db, [videoId, otherVideoId]);
      assert.deepEqual(summaries.get(videoId), { postValidation: 'validated', validatedAnnotators: ['annotator'] });
      assert.deepEqual(summaries.get(otherVideoId), { postValidation: 'not_started', validatedAnnotators: [] });

      const video = await runtime.db.selectFrom('video_files').select(['processed_file', 'processed_video_hash']).where('id', '=', videoId).executeTakeFirstOrThrow();
      const { index, means } = await storedFrameBrightness(await runtime.storage.service(), tools, video.processed_file!);
      assert.equal(index.frameCount, FRAME_COUNT, 'the rebuilt video keeps every frame');
      means.forEach((mean, frame) => {
        const black = frame >= 45 && frame < 55;
        assert.ok(black ? mean < 8 : mean > 60, `frame ${frame}: mean ${mean.toFixed(1)} should be ${black ? 'black' : 'unchanged'}`);
      });
      const hls = (await runtime.jobQueue.list({ name: MATERIALIZE_HLS_JOB, limit: 10 })).find((j) => (j.payload as any)?.videoId === videoId && (j.payload as any)?.kind === 'processed');
      assert.equal(hls?.queue, 'ffmpeg_media', 'video.materialize-hls queued for the processed video');
      // The video pipeline's HLS job rebuilds the stream from the blackened file.
      const hlsRun = ['queued', 'active'].includes(hls!.state) ? await runJob(hls!.id, MATERIALIZE_HLS_JOB) : hls!;
      assert.equal(hlsRun.state, 'completed', hlsRun.lastError ?? '');
      const artifact = await runtime.db.selectFrom('video_hls_artifacts').selectAll().where('video_file_id', '=', videoId).where('kind', '=', 'processed').executeTakeFirstOrThrow();
      assert.equal(artifact.status, 'ready');
      assert.equal(artifact.source_sha256, video.processed_video_hash);
      const history = await runtime.db.selectFrom('video_processing_history').selectAll().where('video_file_id', '=', videoId).where('operation', '=', 'reprocessing').execute();
      assert.equal(history.at(-1)?.status, 'succeeded');

      // A second delivery of the same job changes nothing.
      await redeliver(validated.body.job_id, POST_VALIDATION_REBUILD_JOB);
      const after = await runtime.db.selectFrom('video_files').select('processed_video_hash').where('id', '=', videoId).executeTakeFirstOrThrow();
      assert.equal(after.processed_video_hash, video.processed_video_hash);

      // Reopen ("Segmente bearbeiten"), edit, and the re-dispatch of the blackening answers 202.
      const reopened = await call(base, h.annotator!, 'POST', seg(`${out.body.id}/validate/`), { is_validated: false });
      assert.equal(reopened.body.is_validated, false);
      assert.equal((await call(base, h.annotator!, 'PATCH', seg(`${out.body.id}/`), { end_frame_number: 56 })).status, 200);
      const redo = await call(base, h.annotator!, 'POST', seg('blacken-outside/'), { only_validated: false });
      assert.equal(redo.status, 202);
      assert.equal((await call(base, h.reader!, 'GET', seg('validation-status/'))).body.status, 'cleanup_queued');

      // A failure is shown as cleanup_failed with a detail.
      const storage = await runtime.storage.service();
      await storage.delete(video.processed_file!);
      await runtime.db.updateTable('video_files').set({ processed_video_hash: 'f'.repeat(64) }).where('id', '=', videoId).execute();
      const failedJob = await runJob(redo.body.job_id, POST_VALIDATION_REBUILD_JOB);
      assert.equal(failedJob.state, 'retry', 'a failed rebuild is retried later');
      const failed = (await call(base, h.reader!, 'GET', seg('validation-status/'))).body;
      assert.equal(failed.status, 'cleanup_failed');
      assert.match(failed.detail, /Schwärzen der Außerhalb-Segmente fehlgeschlagen: Die anonymisierte Videodatei fehlt im Speicher/);
      assert.doesNotMatch(failed.detail, /\//, 'no paths in the detail');
      const temp = join(runtime.settings.paths.storageDir, 'temp', 'segments');
      assert.deepEqual(existsSync(temp) ? readdirSync(temp) : [], [], 'no decrypted work file is left behind');
    });
  });
}

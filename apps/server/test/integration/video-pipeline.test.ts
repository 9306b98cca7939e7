// Proof of the video pipeline (issue 5): the demo video dropped into the watcher directory runs
// through the worker; SensitiveMeta holds the fake name and date of birth read by OCR; OCR of the
// overlay side of every frame of the processed video finds none of them; the status ends at
// done_processing_anonymization; the encrypted HLS playlist decrypts with the key the app serves.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { mediaToolsFromSettings, type MediaTools } from '../../src/adapters/ffmpeg/index.js';
import { TesseractOcr } from '../../src/adapters/ocr/index.js';
import { makeDemoSet } from '../../src/demo/demo-video.js';
import { DEMO_IDENTITY } from '../../src/demo/demo-identity.js';
import { fold } from '../../src/features/anonymization/index.js';
import { findVideo, listHistory, videoAnonymizationStatus } from '../../src/features/media/index.js';
import { get, post, runWatcherOnce, startVideoSystem, tempFilesLeft, waitFor, type VideoTestSystem } from './video-support.js';

const { patient } = DEMO_IDENTITY;

/** Spellings that must not be readable: folded names (umlauts as ue and dropped) and the date of birth as digits. */
function needles(): string[] {
  const [y, m, d] = patient.dob.split('-') as [string, string, string];
  const names = [...patient.lastName.split(/[-\s]+/), patient.firstName].filter((n) => n.length >= 4);
  const spellings = names.flatMap((n) => [fold(n), n.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')]);
  return [...new Set([...spellings.map((s) => s.replace(/[^a-z]/g, '')), `${d}${m}${y}`, `${d}${m}${y.slice(2)}`])];
}
const leaked = (text: string): string[] => needles().filter((n) => fold(text).replace(/[^a-z0-9]/g, '').includes(n));

/**
 * OCR (sparse) of the patient overlay regions of the Olympus CV-1500 layout (name and date of
 * birth rectangles: the band x 0–550, y 0–180 left of the endoscope image) of every frame, or
 * of the frames `select` picks.
 */
function overlaySideTexts(tools: MediaTools, path: string, dir: string, select = '1'): Promise<string[]> {
  const region = { x: 0, y: 0, width: 550, height: 180 };
  const r = spawnSync(tools.ffmpeg, ['-hide_banner', '-nostdin', '-v', 'error', '-i', path, '-map', '0:v:0', '-vf', `select='${select}',crop=${region.width}:${region.height}:0:0,format=gray`, '-fps_mode', 'passthrough', '-f', 'rawvideo', 'pipe:1'], { maxBuffer: 1024 ** 3 });
  assert.equal(r.status, 0, r.stderr?.toString());
  const size = region.width * region.height;
  return (async () => {
    const files: string[] = [];
    for (let i = 0; i < r.stdout.length / size; i += 1) {
      const file = join(dir, `f${i}.png`);
      await sharp(r.stdout.subarray(i * size, (i + 1) * size), { raw: { width: region.width, height: region.height, channels: 1 } }).negate({ alpha: false }).png({ compressionLevel: 1 }).toFile(file);
      files.push(file);
    }
    return (await new TesseractOcr(tools, { workDir: dir }).recognize(files, { layout: 'sparse' })).map((x) => x.text);
  })();
}

describe('video pipeline proof: demo video dropped → worker → anonymized, encrypted HLS', () => {
  let system: VideoTestSystem;
  let tools: MediaTools;
  let work: string;
  let demoVideo: string;
  let videoId: number;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'lx-video-proof-'));
    system = await startVideoSystem();
    tools = mediaToolsFromSettings(system.runtime.settings.media, { searchPath: process.env.PATH ?? '/usr/bin:/bin' });
    demoVideo = (await makeDemoSet(tools, join(work, 'demo'), ['short'])).videos.short!;
  });
  after(async () => {
    await system?.dispose();
    await rm(work, { recursive: true, force: true });
  });

  test('the drop runs through watcher and worker to done_processing_anonymization with the fake identity in SensitiveMeta', async () => {
    await copyFile(demoVideo, join(system.runtime.settings.paths.importDirs.video, 'Untersuchung Müller.mp4'));
    await runWatcherOnce(system);
    const job = await waitFor('upload job to finish', async () => {
      const row = await system.runtime.db.selectFrom('upload_jobs').selectAll().where('content_type', 'like', 'video/%').executeTakeFirst();
      return row && ['anonymized', 'error'].includes(row.status) ? row : undefined;
    });
    assert.equal(job.status, 'anonymized', job.error_detail);
    const video = (await system.runtime.db.selectFrom('video_files').select('id').where('upload_job_id', '=', job.id).executeTakeFirstOrThrow());
    videoId = Number(video.id);
    const record = (await findVideo(system.runtime.db, videoId))!;
    assert.equal(videoAnonymizationStatus(record), 'done_processing_anonymization');
    assert.equal(record.processor_name, 'olympus_cv_1500');
    assert.deepEqual([record.width, record.height, record.frame_count], [1920, 1080, 100]);
    assert.ok(record.raw_file && record.processed_file && record.processed_file_sha256);

    const meta = await system.runtime.db.selectFrom('sensitive_meta').selectAll().where('id', '=', record.sensitive_meta_id!).executeTakeFirstOrThrow();
    assert.equal(meta.patient_last_name, patient.lastName);
    assert.equal(meta.patient_first_name, patient.firstName);
    assert.equal(meta.patient_dob, patient.dob);
    const confidence = JSON.parse(meta.field_confidence) as Record<string, number>;
    for (const field of ['patient_last_name', 'patient_first_name', 'patient_dob']) assert.ok(confidence[field]! >= 0.6, `${field}: ${confidence[field]}`);

    const history = await listHistory(system.runtime.db, videoId);
    const ops = history.map((h) => `${h.operation}:${h.status}`).reverse();
    assert.deepEqual(ops.slice(0, 3), ['analysis:succeeded', 'mask_overlay:succeeded', 'release_gate:succeeded']);
    const gate = history.find((h) => h.operation === 'release_gate')!;
    assert.equal(gate.output.status, 'passed');
    // The history never carries identifier values.
    assert.deepEqual(leaked(JSON.stringify(history)), []);
    // HLS (next job, other queue) may be running now; the run's own work files must be gone.
    assert.deepEqual((await tempFilesLeft(system)).filter((f) => f.startsWith('video_work/')), [], 'no decrypted video or crop left in temp');
  });

  test('OCR of the overlay side of every frame of the processed video finds none of the identifiers (and does find them in the original)', async () => {
    const record = (await findVideo(system.runtime.db, videoId))!;
    const storage = await system.runtime.storage.service();
    const processed = join(work, 'processed.mp4');
    await pipeline(await storage.read(record.processed_file!), createWriteStream(processed));
    const ocrDir = join(work, 'ocr');
    await mkdir(ocrDir, { recursive: true });
    const texts = await overlaySideTexts(tools, processed, ocrDir);
    assert.equal(texts.length, 100);
    assert.deepEqual(texts.flatMap((text, frame) => leaked(text).map((n) => `frame ${frame}: ${n}`)), []);
    const originals = await overlaySideTexts(tools, demoVideo, ocrDir, 'not(mod(n,25))');
    assert.equal(originals.length, 4);
    for (const text of originals) assert.ok(leaked(text).length >= 3, `the check can fail: it reads the identifiers in the original (${leaked(text).length})`);
  });

  test('HLS: playlist and key endpoints serve with the contract headers, and ffmpeg decrypts the segments with the served key', async () => {
    const a = system.sessions.klinikA;
    const artifact = await waitFor('processed HLS', async () => {
      const row = await system.runtime.db.selectFrom('video_hls_artifacts').selectAll().where('video_file_id', '=', videoId).where('kind', '=', 'processed').executeTakeFirst();
      return row?.status === 'ready' ? row : undefined;
    });
    for (const path of [`/endoreg-api/media/videos/${videoId}/hls/playlist/?type=processed`, `/api/media/videos/${videoId}/hls/playlist.m3u8`]) {
      const r = await get(system, a, path);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/vnd.apple.mpegurl');
      assert.equal(r.headers.get('cache-control'), 'no-store, private');
      assert.equal(r.headers.get('pragma'), 'no-cache');
      assert.equal(r.headers.get('expires'), '0');
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      await r.arrayBuffer();
    }
    const playlist = await (await get(system, a, `/endoreg-api/media/videos/${videoId}/hls/playlist/?type=processed`)).text();
    const keyUri = `/endoreg-api/media/videos/${videoId}/hls/key/${artifact.key_id}/`;
    assert.ok(playlist.includes(`#EXT-X-KEY:METHOD=AES-128,URI="${keyUri}"`), playlist);
    const durations = [...playlist.matchAll(/#EXTINF:([0-9.]+),/g)].map((m) => Number(m[1]));
    assert.ok(durations.length >= 1 && durations.slice(0, -1).every((d) => Math.abs(d - 4) < 0.05), `segments of 4 s: ${durations}`);

    const keyResponse = await get(system, a, keyUri);
    assert.equal(keyResponse.status, 200);
    assert.equal(keyResponse.headers.get('content-type'), 'application/octet-stream');
    assert.equal(keyResponse.headers.get('content-length'), '16');
    assert.equal(keyResponse.headers.get('cache-control'), 'no-store, private');
    const key = Buffer.from(await keyResponse.arrayBuffer());
    assert.equal(key.length, 16);
    assert.equal((await get(system, system.sessions.klinikB, keyUri)).status, 403, 'another center gets no key');
    assert.equal((await get(system, a, `/endoreg-api/media/videos/${videoId}/hls/key/00000000-0000-4000-8000-000000000000/`)).status, 404);
    assert.equal((await get(system, a, `/endoreg-api/media/videos/${videoId}/hls/segments/${artifact.key_id}/seg_000.ts`)).status, 404, 'segments only via X-Accel');

    // The served key, written locally, decrypts the stored segments: frames come back.
    const local = join(work, 'hls');
    await mkdir(local, { recursive: true });
    await writeFile(join(local, 'served.key'), key);
    const segmentDir = join(system.runtime.settings.paths.protectedMediaRoot, artifact.segment_directory_relative_path);
    const segmentBase = `/endoreg-api/media/videos/${videoId}/hls/segments/${artifact.key_id}/`;
    await writeFile(join(local, 'local.m3u8'), playlist.replace(keyUri, join(local, 'served.key')).replaceAll(segmentBase, `${segmentDir}/`));
    const decoded = spawnSync(tools.ffmpeg, ['-hide_banner', '-v', 'error', '-allowed_extensions', 'ALL', '-i', join(local, 'local.m3u8'), '-vf', 'scale=64:36,format=gray', '-f', 'rawvideo', 'pipe:1'], { maxBuffer: 256 * 1024 * 1024 });
    assert.equal(decoded.status, 0, decoded.stderr?.toString());
    assert.equal(decoded.stdout.length / (64 * 36), 100, 'every frame decrypted and decoded');
    const wrong = Buffer.from(key);
    wrong[0]! ^= 0xff;
    await writeFile(join(local, 'served.key'), wrong);
    const garbage = spawnSync(tools.ffmpeg, ['-hide_banner', '-v', 'error', '-allowed_extensions', 'ALL', '-i', join(local, 'local.m3u8'), '-f', 'null', '-'], { maxBuffer: 64 * 1024 * 1024 });
    assert.ok(garbage.status !== 0 || garbage.stderr.length > 0, 'a wrong key does not decrypt');
    // No plaintext key anywhere in the data root besides nothing: the wrapped key is all that is stored.
    assert.deepEqual(await tempFilesLeft(system), []);
    assert.ok(!readFileSync(join(segmentDir, 'seg_000.ts')).includes(Buffer.from('FFmpeg')), 'segments are encrypted');

    // Raw HLS is made on demand: the first request answers 404 and queues it.
    assert.equal((await get(system, a, `/endoreg-api/media/videos/${videoId}/hls/playlist/?type=raw`)).status, 404);
    const queued = await system.runtime.jobQueue.list({ name: 'video.materialize-hls', limit: 20 });
    assert.ok(queued.some((j) => (j.payload as { kind: string; videoId: number }).kind === 'raw' && (j.payload as { videoId: number }).videoId === videoId));
  });

  test('video media API: list, details, metadata, fps, history, frame JPEG; center isolation', async () => {
    const a = system.sessions.klinikA;
    const list = (await (await get(system, a, '/endoreg-api/media/videos/')).json()) as any;
    const item = list.videos.find((v: { id: number }) => v.id === videoId);
    assert.equal(item.status, 'done_processing_anonymization');
    assert.equal(item.center_key, 'klinik-a');
    assert.equal(item.frame_count, 100);
    const other = (await (await get(system, system.sessions.klinikB, '/api/media/videos/')).json()) as any;
    assert.deepEqual(other.videos, [], 'klinik-b sees none of klinik-a');
    const details = (await (await get(system, a, `/api/media/videos/${videoId}/details/`)).json()) as any;
    assert.equal(details.hls.processed, `/endoreg-api/media/videos/${videoId}/hls/playlist/?type=processed`);
    assert.equal((await get(system, system.sessions.klinikB, `/api/media/videos/${videoId}/details/`)).status, 403);
    assert.equal(((await (await get(system, a, `/api/media/videos/${videoId}/fps/`)).json()) as any).fps, 25);
    assert.equal(((await (await get(system, a, `/api/media/videos/${videoId}/metadata/`)).json()) as any).total_frames, 100);
    const history = (await (await get(system, a, `/api/media/videos/${videoId}/processing-history/`)).json()) as any;
    const mask = history.find((h: { operation: string }) => h.operation === 'mask_overlay');
    assert.equal(mask.has_output_file, true);
    assert.ok(mask.duration_ms > 0 && mask.progress === 1);
    const download = await get(system, a, `/api/media/processed-videos/${videoId}/${mask.id}/`);
    assert.equal(download.status, 200);
    assert.match(download.headers.get('content-disposition') ?? '', /^attachment/);
    assert.ok((await download.arrayBuffer()).byteLength > 10_000);
    const current = (await (await get(system, a, `/api/anonymization/${videoId}/current/?media_type=video`)).json()) as any;
    assert.equal(current.release_gate.status, 'passed', 'the validator sees the verification record of the last gate run');
    assert.ok(current.release_gate.checked_at);
    const frame = await get(system, a, `/api/media/videos/${videoId}/frames/50/stream/`);
    assert.equal(frame.status, 200);
    assert.equal(frame.headers.get('content-type'), 'image/jpeg');
    const jpeg = await sharp(Buffer.from(await frame.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([jpeg.info.width, jpeg.info.height], [1920, 1080]);
    assert.equal((await get(system, a, `/api/media/videos/${videoId}/frames/100/stream/`)).status, 404);
  });

  test('correction: strategy info, detector_assisted refused in German, manual frame removal runs as frame_removal', async () => {
    const a = system.sessions.klinikA;
    const info = (await (await get(system, a, `/api/media/videos/video-correction/${videoId}/anonymization/`)).json()) as any;
    assert.equal(info.human_review_required, true);
    assert.ok(info.device_presets.includes('olympus_cv_1500'));
    const refused = await post(system, a, `/api/media/videos/video-correction/${videoId}/anonymization/`, { strategy: 'detector_assisted' });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error, /kein PHI-Detektor konfiguriert/);
    assert.equal((await post(system, a, `/api/media/videos/${videoId}/remove-frames/`, { selection_method: 'manual', manual_frames: '10,25,30-200' })).status, 400);
    const accepted = await post(system, a, `/api/media/videos/${videoId}/remove-frames/`, { selection_method: 'manual', manual_frames: '10,25,30-35' });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const done = await waitFor('frame removal', async () => {
      const h = (await listHistory(system.runtime.db, videoId)).find((e) => e.operation === 'frame_removal');
      return h && h.status !== 'running' ? h : undefined;
    });
    assert.equal(done.status, 'succeeded', done.error_detail);
    assert.equal(done.output.removed_frames, 8);
    assert.equal(done.output.remaining_frames, 92);
    const after = await waitFor('the run to finish', async () => {
      const v = (await findVideo(system.runtime.db, videoId))!;
      return v.sensitive_meta_processed || v.processing_error ? v : undefined;
    });
    assert.equal(videoAnonymizationStatus(after), 'done_processing_anonymization');
    assert.notEqual(after.processed_file_sha256, null);
    // The HLS rebuild for the new file runs next on ffmpeg_media; this run's own work files are gone.
    // The state flips inside the run; the work dir is removed and the HLS job enqueued right after it.
    await waitFor('the work files to be removed', async () => ((await tempFilesLeft(system)).some((f) => f.startsWith('video_work/')) ? undefined : true));
    await waitFor('a new HLS materialization queued for the new processed file', async () => {
      const jobs = await system.runtime.jobQueue.list({ name: 'video.materialize-hls', limit: 20 });
      return jobs.filter((j) => (j.payload as { kind: string }).kind === 'processed').length >= 2 ? true : undefined;
    });
  });
});

// Proof of the PHI-region detector path through the real runtime: a detector ONNX model built
// here is registered as ModelMeta (`kind: phi_detector`) and named by LX_ANNOTATE_PHI_DETECTOR_MODEL;
// a dropped video with a bright "name tag" inside the endoscope image in frames 5–9 goes through
// `detector_assisted` (the tag's place black in every frame) and automatic frame removal
// (exactly frames 5–9 dropped), each recorded in the processing history, release gate after.
import assert from 'node:assert/strict';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pipeline } from 'node:stream/promises';
import { mediaToolsFromSettings, probeVideo, readGrayFrames, type MediaTools } from '../../src/adapters/ffmpeg/index.js';
import { ffmpeg } from '../../src/adapters/ffmpeg/testdata/fixtures.js';
import { phiGridModel } from '../../src/adapters/onnx/testdata/phi-grid-model.js';
import { findVideo, listHistory, videoAnonymizationStatus, type VideoRecord } from '../../src/features/media/index.js';
import { get, post, runWatcherOnce, startVideoSystem, waitFor, type VideoTestSystem } from './video-support.js';

// 320×180 is the Olympus CV-1500 layout at 1/6: the endoscope image is x 91–317. The detector
// sees 80×45 with 5×5 cells: a 16×9 grid of 20×20 frame pixels; the tag covers cells (10–11, 5).
const WIDTH = 320;
const HEIGHT = 180;
const FRAMES = 30;
const TAG = { x: 200, y: 100, width: 40, height: 20 };
const TAG_FRAMES = [5, 6, 7, 8, 9];

let system: VideoTestSystem;
let tools: MediaTools;
let work: string;
let videoId: number;

async function finishedRun(operation: string, previous: number): Promise<Awaited<ReturnType<typeof listHistory>>[number]> {
  const entry = await waitFor(operation, async () => {
    const h = (await listHistory(system.runtime.db, videoId)).filter((e) => e.operation === operation);
    return h.length > previous && h[0]!.status !== 'running' ? h[0] : undefined;
  });
  await waitFor('the run to release the video', async () => {
    const v = (await findVideo(system.runtime.db, videoId))!;
    return (v.sensitive_meta_processed || v.processing_error) && !(await system.runtime.videos.media.isLocked(videoId)) ? v : undefined;
  });
  return entry;
}

async function processedFrames(record: VideoRecord): Promise<{ frames: Map<number, Buffer>; frameCount: number; kept: number[] }> {
  const path = join(work, `processed-${record.processed_file_sha256}.mp4`);
  await pipeline(await (await system.runtime.storage.service()).read(record.processed_file!), createWriteStream(path));
  const probe = await probeVideo(tools, path);
  const frames = await readGrayFrames(tools, { path, frameNumbers: Array.from({ length: probe.frameCount }, (_, i) => i), frameIndex: probe.frameIndex, width: WIDTH, height: HEIGHT });
  return { frames, frameCount: probe.frameCount, kept: Array.from({ length: probe.frameCount }, (_, i) => Math.round(probe.frameIndex.secondsOf(i) * 10)) };
}

const at = (gray: Buffer, x: number, y: number) => gray[y * WIDTH + x]!;

describe('detector_assisted anonymization and automatic frame removal with a registered PHI detector', () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'lx-phi-video-'));
    system = await startVideoSystem('sqlite', { LX_ANNOTATE_PHI_DETECTOR_MODEL: 'phi_test' });
    tools = mediaToolsFromSettings(system.runtime.settings.media, { searchPath: process.env.PATH ?? '/usr/bin:/bin' });
    const source = join(work, 'source.mp4');
    await ffmpeg([
      '-f', 'lavfi', '-i', `color=c=0x505050:s=${WIDTH}x${HEIGHT}:r=10:d=3`,
      '-vf', `drawbox=x=${TAG.x}:y=${TAG.y}:w=${TAG.width}:h=${TAG.height}:color=white:t=fill:enable='between(n,5,9)',format=yuv420p`,
      '-frames:v', String(FRAMES), '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '12', source,
    ], tools);
    const model = join(work, 'phi.onnx');
    await writeFile(model, phiGridModel({ width: 80, height: 45, cell: 5, gain: 20, level: 0.5 }));
    const registered = await system.runtime.segments.models.register({ onnxFile: model, name: 'phi_test', kind: 'phi_detector', labelsetName: 'multilabel_classification_colonoscopy_default', labelsetVersion: 1, inputWidth: 80, inputHeight: 45, mean: [0, 0, 0], std: [1, 1, 1], registeredBy: 'test' });
    assert.deepEqual(registered.output_labels, ['phi_region']);

    await copyFile(source, join(system.runtime.settings.paths.importDirs.video, 'tag.mp4'));
    await runWatcherOnce(system);
    const job = await waitFor('upload job to finish', async () => {
      const row = await system.runtime.db.selectFrom('upload_jobs').selectAll().where('content_type', 'like', 'video/%').executeTakeFirst();
      return row && ['anonymized', 'error'].includes(row.status) ? row : undefined;
    });
    assert.equal(job.status, 'anonymized', job.error_detail);
    videoId = Number((await system.runtime.db.selectFrom('video_files').select('id').where('upload_job_id', '=', job.id).executeTakeFirstOrThrow()).id);
  });
  after(async () => {
    await system?.dispose();
    await rm(work, { recursive: true, force: true });
  });

  test('detector_assisted: offered, runs, records model and regions, and the tag is black in every frame', async () => {
    const a = system.sessions.klinikA;
    const info = (await (await get(system, a, `/api/media/videos/video-correction/${videoId}/anonymization/`)).json()) as any;
    assert.equal(info.strategies.find((s: { name: string }) => s.name === 'detector_assisted').available, true);
    // The plain preset run left the tag visible: it is inside the endoscope image.
    const before = await processedFrames((await findVideo(system.runtime.db, videoId))!);
    assert.ok(at(before.frames.get(7)!, 220, 110) > 200, 'the check can fail: the tag is visible without the detector');

    const earlier = (await listHistory(system.runtime.db, videoId)).filter((e) => e.operation === 'mask_overlay').length;
    const accepted = await post(system, a, `/api/media/videos/video-correction/${videoId}/anonymization/`, { strategy: 'detector_assisted' });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const run = await finishedRun('mask_overlay', earlier);
    assert.equal(run.status, 'succeeded', run.error_detail);
    assert.equal(run.config.strategy, 'detector_assisted');
    assert.equal((run.output.detector_model as { name: string }).name, 'phi_test');
    assert.equal(run.output.detector_regions, 1);
    assert.equal(run.output.removed_frames, 0);
    const gate = (await listHistory(system.runtime.db, videoId)).find((e) => e.operation === 'release_gate')!;
    assert.equal(gate.status, 'succeeded');
    const record = (await findVideo(system.runtime.db, videoId))!;
    assert.equal(videoAnonymizationStatus(record), 'done_processing_anonymization');

    const { frames, frameCount } = await processedFrames(record);
    assert.equal(frameCount, FRAMES);
    for (const [n, gray] of frames) {
      for (const [x, y] of [[220, 110], [198, 98], [242, 122]] as const) assert.ok(at(gray, x, y) < 24, `frame ${n}: (${x},${y}) = ${at(gray, x, y)} is masked`);
      for (const [x, y] of [[130, 40], [280, 160], [200, 60], [300, 110]] as const) assert.ok(at(gray, x, y) > 60, `frame ${n}: (${x},${y}) = ${at(gray, x, y)} stays visible`);
    }
  });

  test('automatic frame removal drops exactly the frames with the tag and records the count', async () => {
    const a = system.sessions.klinikA;
    const accepted = await post(system, a, `/api/media/videos/${videoId}/remove-frames/`, { selection_method: 'automatic' });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const run = await finishedRun('frame_removal', 0);
    assert.equal(run.status, 'succeeded', run.error_detail);
    assert.equal(run.output.removed_frames, TAG_FRAMES.length);
    assert.equal(run.output.detector_flagged_frames, TAG_FRAMES.length);
    assert.equal(run.output.remaining_frames, FRAMES - TAG_FRAMES.length);
    const { frameCount, kept } = await processedFrames((await findVideo(system.runtime.db, videoId))!);
    assert.equal(frameCount, FRAMES - TAG_FRAMES.length);
    assert.deepEqual(kept, Array.from({ length: FRAMES }, (_, i) => i).filter((i) => !TAG_FRAMES.includes(i)));
  });
});

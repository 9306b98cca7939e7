// Bad input through the video processing steps as a job runs them (probe → mask → HLS):
// each failure is a clear error, the original stays untouched, and nothing half-written,
// no temp file and no key file is left under the data root.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, copyFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { assertProcessableVideo, materializeHls, MediaInputError, MediaToolError, mediaToolsFromSettings, probeVideo } from '../../src/adapters/ffmpeg/index.js';
import { ffmpeg, makeNumberedVideo } from '../../src/adapters/ffmpeg/testdata/fixtures.js';
import type { Settings } from '../../src/config/index.js';
import { maskVideo, type ProcessorGeometry } from '../../src/features/anonymization/index.js';
import { PROCESSORS } from '../../src/features/knowledge-base/index.js';
import { makeDemoVideo } from '../../src/demo/demo-video.js';
import { Invalid } from '../../src/shared/errors.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';

const olympus: ProcessorGeometry = PROCESSORS.find((p) => p.name === 'olympus_cv_1500')!;
const searchPath = process.env.PATH ?? '/usr/bin:/bin';

function settingsFor(root: string, extra: Record<string, string> = {}): Settings {
  return configFrom({ DJANGO_ENV: 'test', LX_ANNOTATE_ENCRYPTED_DATA_DIR: root, ...extra }).settings;
}

/** The processing steps in job order, for one video; `geometry` is the processor preset named for it. */
async function processVideo(settings: Settings, input: string, options: { geometry?: ProcessorGeometry; idleTimeoutSeconds?: number } = {}) {
  const tools = mediaToolsFromSettings(settings.media, { searchPath, idleTimeoutSeconds: options.idleTimeoutSeconds });
  const probe = await probeVideo(tools, input);
  assertProcessableVideo(probe);
  const processed = join(settings.paths.storageDir, 'processed_videos', 'video-7.mp4');
  const masked = await maskVideo(tools, { inputPath: input, outputPath: processed, probe, geometry: options.geometry, strategy: { kind: 'safe' }, encoderPreset: 'ultrafast' });
  const hls = await materializeHls(tools, {
    sourcePlaintextPath: processed,
    outputDir: join(settings.paths.streamableProcessedRoot, 'hls', 'video-7', 'key-1', 'v0'),
    keyMaterialDir: join(settings.paths.storageDir, 'temp', 'hls_key_material', '7'),
    keyUri: '/endoreg-api/media/videos/7/hls/key/key-1/',
    segmentBaseUrl: '/endoreg-api/media/videos/7/hls/segments/key-1/',
    threads: settings.media.hlsThreads,
  });
  return { probe, masked, hls };
}

/** Every file below `dir` (relative paths), to show that a failed run wrote nothing. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

describe('bad video input through the processing steps', () => {
  let inputs: string;
  before(async () => {
    inputs = tempDataRoot('lx-video-inputs-');
    await makeNumberedVideo(join(inputs, 'fine.mp4'), { frames: 30, width: 320, height: 64 });
  });

  const failsCleanly = async (input: string, check: (e: unknown) => boolean, options: { geometry?: ProcessorGeometry; extraEnv?: Record<string, string>; idleTimeoutSeconds?: number } = {}) => {
    const root = tempDataRoot();
    const settings = settingsFor(root, options.extraEnv);
    const before = await sha256(input).catch(() => 'missing');
    await assert.rejects(processVideo(settings, input, options), (e: unknown) => {
      assert.ok(check(e), `unexpected error: ${(e as Error).stack}`);
      return true;
    });
    assert.deepEqual(await filesBelow(root), [], 'nothing written under the data root (no temp, key or partial output)');
    assert.equal(await sha256(input).catch(() => 'missing'), before, 'the original is untouched and can be reprocessed');
  };

  it('zero-length file', async () => {
    const path = join(inputs, 'empty.mp4');
    await writeFile(path, '');
    await failsCleanly(path, (e) => e instanceof MediaInputError && e.code === 'empty' && e.message === 'Die Videodatei ist leer (0 Bytes).');
  });

  it('truncated mp4', async () => {
    const whole = join(inputs, 'whole.mp4');
    await makeNumberedVideo(whole, { frames: 100, width: 320, height: 64 });
    const cut = join(inputs, 'cut.mp4');
    await copyFile(whole, cut);
    await truncate(cut, Math.floor((await stat(whole)).size / 2));
    await failsCleanly(cut, (e) => e instanceof MediaInputError && e.code === 'truncated' && /unvollständig/.test(e.message));
  });

  it('audio-only file', async () => {
    const path = join(inputs, 'audio.m4a');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', path]);
    await failsCleanly(path, (e) => e instanceof MediaInputError && e.code === 'no_video' && /nur Ton/.test(e.message));
  });

  it('one-frame video', async () => {
    const path = join(inputs, 'one-frame.mp4');
    await makeNumberedVideo(path, { frames: 1, width: 320, height: 64 });
    await failsCleanly(path, (e) => e instanceof MediaInputError && e.code === 'too_short' && /nur 1 Bild/.test(e.message));
  });

  it('a resolution no preset matches, with no recognisable endoscope image: refused, not guessed', async () => {
    const path = join(inputs, 'unknown-layout.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=1000x700:r=25:d=1', '-c:v', 'libx264', '-preset', 'ultrafast', path]);
    await failsCleanly(path, (e) => e instanceof Invalid && /nicht sicher erkennbar/.test(e.message), { geometry: olympus });
  });

  it('ffmpeg hanging (FFMPEG_EXECUTABLE points at a tool that never answers): stopped by the watchdog', async () => {
    const fakeDir = tempDataRoot('lx-fake-ffmpeg-');
    const fake = join(fakeDir, 'ffmpeg');
    await writeFile(fake, '#!/bin/sh\nsleep 300 &\nwait\n');
    await chmod(fake, 0o755);
    const path = join(inputs, 'fine.mp4');
    const started = Date.now();
    await failsCleanly(path, (e) => e instanceof MediaToolError && e.tool === 'ffmpeg' && e.code === 'idle_timeout', { extraEnv: { FFMPEG_EXECUTABLE: fake }, idleTimeoutSeconds: 1 });
    assert.ok(Date.now() - started < 20_000);
  });

  it('ffmpeg busy beyond FFMPEG_TRANSCODE_TIMEOUT_SECONDS: stopped by the total watchdog', async () => {
    const fakeDir = tempDataRoot('lx-fake-ffmpeg-');
    const fake = join(fakeDir, 'ffmpeg');
    await writeFile(fake, '#!/bin/sh\nwhile true; do echo "frame=1" >&2; sleep 0.2; done\n');
    await chmod(fake, 0o755);
    const path = join(inputs, 'fine.mp4');
    await failsCleanly(path, (e) => e instanceof MediaToolError && e.code === 'timeout' && /total time limit of 1 s/.test(e.message), { extraEnv: { FFMPEG_EXECUTABLE: fake, FFMPEG_TRANSCODE_TIMEOUT_SECONDS: '1' } });
  });

  it('for contrast: an unknown layout with a clear round image is processed with the detected field of view', async () => {
    const path = join(inputs, 'detected.mp4');
    await makeDemoVideo(mediaToolsFromSettings(settingsFor(tempDataRoot()).media, { searchPath }), { width: 1000, height: 700, durationSeconds: 1 }, path);
    const root = tempDataRoot();
    const settings = settingsFor(root);
    const { masked, hls } = await processVideo(settings, path, { geometry: olympus });
    assert.equal(masked.plan.keepRectSource, 'detected');
    const keep = masked.plan.keepRect;
    // Demo layout scaled to 1000×700: image x 286..990, round field of view of 348 px radius centred at 638,350.
    assert.ok(keep.x >= 286 && keep.x <= 295 && keep.x + keep.width >= 980 && keep.x + keep.width <= 995, JSON.stringify(keep));
    assert.equal(hls.status, 'materialized');
    const written = await filesBelow(root);
    assert.ok(written.includes('storage/processed_videos/video-7.mp4'));
    assert.ok(written.some((f) => f.endsWith('v0/playlist.m3u8')));
    assert.deepEqual(written.filter((f) => /hls_key_material|\.tmp|key_info|hls\.key/.test(f)), [], 'no key material or temp files remain');
  });
});

import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { MediaInputError } from './errors.js';
import { extractFrames, readGrayFrames } from './extract.js';
import { assertProcessableVideo, frameTimestamps, probeVideo } from './probe.js';
import { ffmpeg, makeNumberedVideo, readFrameNumber, testTools } from './testdata/fixtures.js';

const tools = testTools();
let dir: string;
let vfr: string;
let cfr: string;

describe('probeVideo and exact frames', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lx-probe-'));
    vfr = join(dir, 'vfr.mp4');
    cfr = join(dir, 'cfr.mkv');
    await makeNumberedVideo(vfr, { frames: 50, variableFrameRate: true, startSeconds: 7.5 });
    // Many frames with sparse key frames, so extraction has to seek and then decode forward.
    await makeNumberedVideo(cfr, { frames: 750, extraFilter: 'null' });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('probes size, codec, decoded frame count and the real start time', async () => {
    const probe = await probeVideo(tools, vfr);
    assert.equal(probe.codec, 'h264');
    assert.equal(probe.width, 320);
    assert.equal(probe.height, 64);
    assert.equal(probe.frameCount, 50);
    assert.equal(probe.startTimeSeconds, 7.5);
    assert.equal(probe.hasAudio, false);
    assert.ok(probe.durationSeconds > 2.5 && probe.durationSeconds < 3.2, `duration ${probe.durationSeconds}`);
    assert.ok(probe.fps < 25, 'the mean rate reflects the gap, not the nominal 25 fps');
    assertProcessableVideo(probe);
  });

  it('numbers frames by decoded presentation time across a variable-rate gap', async () => {
    const index = await frameTimestamps(tools, vfr);
    assert.equal(index.frameCount, 50);
    assert.equal(index.secondsOf(19), 0.76);
    assert.equal(index.secondsOf(20), 1.28, 'frame 20 comes after the 0.5 s gap');
    assert.equal(index.frameAt(1.0), 19);
    assert.equal(index.ptsSecondsOf(0), 7.5);
  });

  it('extracts exactly the requested frames as PNG, by timestamp, in any order', async () => {
    const probe = await probeVideo(tools, vfr);
    const wanted = [49, 0, 20, 19, 33, 20];
    const out = join(dir, 'png');
    const files = await extractFrames(tools, { path: vfr, frameNumbers: wanted, outDir: out, frameIndex: probe.frameIndex });
    assert.deepEqual([...files.keys()].sort((a, b) => a - b), [0, 19, 20, 33, 49]);
    for (const [frame, file] of files) {
      const { data, info } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
      assert.equal(readFrameNumber(data, info.width), frame, `${file} shows frame ${frame}`);
    }
    assert.deepEqual((await readdir(out)).filter((n) => n.startsWith('.')), [], 'no temporary files left');
  });

  it('finds exact frames deep into a longer video (seek, then match by timestamp)', async () => {
    const index = await frameTimestamps(tools, cfr);
    assert.equal(index.frameCount, 750);
    const wanted = [3, 620, 621, 749]; // 3 → 620 is more than 20 s: a second run that seeks
    const gray = await readGrayFrames(tools, { path: cfr, frameNumbers: wanted, frameIndex: index, width: 320, height: 64 });
    assert.deepEqual([...gray.keys()], wanted);
    for (const [frame, pixels] of gray) assert.equal(readFrameNumber(pixels, 320), frame);
  });

  it('refuses frame numbers outside the video', async () => {
    const index = await frameTimestamps(tools, vfr);
    await assert.rejects(extractFrames(tools, { path: vfr, frameNumbers: [50], outDir: join(dir, 'x'), frameIndex: index }), (e: unknown) => e instanceof MediaInputError && e.code === 'frame_range');
  });
});

describe('probeVideo on bad input', () => {
  let bad: string;
  before(async () => {
    bad = await mkdtemp(join(tmpdir(), 'lx-badvideo-'));
  });
  after(async () => {
    await rm(bad, { recursive: true, force: true });
  });

  const rejectsWith = async (path: string, code: string, message: RegExp) =>
    assert.rejects(probeVideo(tools, path), (e: unknown) => e instanceof MediaInputError && e.code === code && message.test(e.message));

  it('zero-length file', async () => {
    const path = join(bad, 'empty.mp4');
    await writeFile(path, '');
    await rejectsWith(path, 'empty', /leer \(0 Bytes\)/);
  });

  it('missing file', async () => {
    await rejectsWith(join(bad, 'missing.mp4'), 'not_found', /nicht gefunden/);
  });

  it('truncated mp4 (index at the end, cut off)', async () => {
    const whole = join(bad, 'whole.mp4');
    await makeNumberedVideo(whole, { frames: 100 });
    const cut = join(bad, 'cut.mp4');
    await copyFile(whole, cut);
    await truncate(cut, Math.floor((await stat(whole)).size / 2));
    await rejectsWith(cut, 'truncated', /unvollständig/);
  });

  it('truncated mp4 with the index in front (data missing at the end)', async () => {
    const whole = join(bad, 'faststart.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=s=320x240:r=25:d=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', '+faststart', whole]);
    const cut = join(bad, 'faststart-cut.mp4');
    await copyFile(whole, cut);
    await truncate(cut, Math.floor((await stat(whole)).size * 0.4));
    await rejectsWith(cut, 'truncated', /unvollständig/);
  });

  it('audio-only file', async () => {
    const path = join(bad, 'audio.m4a');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', path]);
    await rejectsWith(path, 'no_video', /nur Ton/);
  });

  it('a text file that only claims to be a video', async () => {
    const path = join(bad, 'fake.mp4');
    await writeFile(path, 'this is not a video\n'.repeat(100));
    await rejectsWith(path, 'unreadable', /kein lesbares Video/);
  });

  it('a one-frame video probes, but is refused for processing', async () => {
    const path = join(bad, 'one.mp4');
    await makeNumberedVideo(path, { frames: 1 });
    const probe = await probeVideo(tools, path);
    assert.equal(probe.frameCount, 1);
    assert.throws(() => assertProcessableVideo(probe), (e: unknown) => e instanceof MediaInputError && e.code === 'too_short' && /nur 1 Bild/.test(e.message));
  });

  it('leaves nothing behind in the directory of the input', async () => {
    const names = await readdir(bad);
    assert.deepEqual(names.filter((n) => n.startsWith('.')), []);
    assert.ok((await readFile(join(bad, 'fake.mp4'))).length > 0);
  });
});

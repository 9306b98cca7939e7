import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { frameTimestamps, mediaToolsFromSettings, streamSampledRgbFrames } from '../ffmpeg/index.js';
import { OnnxFrameClassifier, OnnxModelError, rgbToNchw, type ClassifierSpec } from './index.js';
import { brightnessModel } from './testdata/brightness-model.js';

const spec: ClassifierSpec = { inputWidth: 4, inputHeight: 2, mean: [0.5, 0.5, 0.5], std: [0.25, 0.5, 1], activation: 'sigmoid', batchSize: 2 };
const tools = mediaToolsFromSettings({ ffmpeg: 'ffmpeg', transcodeTimeoutSeconds: 60, tessdataPrefix: '' }, { searchPath: process.env.PATH ?? '/usr/bin:/bin', idleTimeoutSeconds: 30 });

describe('ONNX frame classifier on the CPU', () => {
  test('RGB24 becomes NCHW normalised with the ModelMeta mean and std', () => {
    const frame = Buffer.alloc(4 * 2 * 3);
    frame[0] = 255; // pixel 0 red
    frame[4] = 255; // pixel 1 green
    const out = rgbToNchw([frame], spec);
    assert.equal(out.length, 3 * 8);
    assert.equal(out[0], (1 - 0.5) / 0.25); // R plane, pixel 0
    assert.equal(out[1], (0 - 0.5) / 0.25); // R plane, pixel 1
    assert.equal(out[8 + 1], (1 - 0.5) / 0.5); // G plane, pixel 1
    assert.equal(out[16], (0 - 0.5) / 1); // B plane, pixel 0
    assert.throws(() => rgbToNchw([Buffer.alloc(5)], spec), OnnxModelError);
  });

  test('probabilities follow the frame content, in batches, and the output width is checked', async () => {
    const bytes = brightnessModel([{ weight: -40, bias: 20 }, { weight: 40, bias: -20 }], { width: 4, height: 2 });
    const plain = { ...spec, mean: [0, 0, 0] as const, std: [1, 1, 1] as const };
    const classifier = await OnnxFrameClassifier.load(bytes, plain);
    try {
      const rows = await classifier.classify([Buffer.alloc(24, 20), Buffer.alloc(24, 230), Buffer.alloc(24, 20)], 2);
      assert.deepEqual(rows.map((r) => [...r].map((p) => Math.round(p))), [[1, 0], [0, 1], [1, 0]]);
      await assert.rejects(classifier.classify([Buffer.alloc(24)], 3), /erwartet \[1, 3\]/);
    } finally {
      await classifier.close();
    }
    await assert.rejects(OnnxFrameClassifier.load(Buffer.from('kein Modell'), plain), OnnxModelError);
    await assert.rejects(OnnxFrameClassifier.load('/nonexistent/model.onnx', plain), /nicht vorhanden/);
  });
});

describe('sampled frames streamed from one ffmpeg pass', () => {
  let dir: string;
  let video: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lx-stream-'));
    video = join(dir, 'v.mp4');
    // Frame n has brightness 10·n (testsrc would hide the numbering in noise).
    const r = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=black:s=16x16:r=10:d=2', '-vf', "geq=lum='10*N':cb=128:cr=128,format=yuv420p", '-c:v', 'libx264', '-qp', '0', '-preset', 'ultrafast', '-y', video], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('every stride-th frame by exact index, in batches, with the pixels of that frame', async () => {
    const frameIndex = await frameTimestamps(tools, video);
    assert.equal(frameIndex.frameCount, 20);
    const seen: number[][] = [];
    const means: number[] = [];
    const n = await streamSampledRgbFrames(tools, { path: video, frameIndex, stride: 3, width: 4, height: 4, batchSize: 3 }, async (frames, pixels) => {
      seen.push(frames);
      for (const p of pixels) means.push(p.reduce((a, b) => a + b, 0) / p.length);
    });
    assert.equal(n, 7);
    assert.deepEqual(seen, [[0, 3, 6], [9, 12, 15], [18]]);
    // Limited-range luma 10·n shows as RGB (10·n − 16)·255/219.
    const expectedRgb = (frame: number) => Math.max(0, ((10 * frame - 16) * 255) / 219);
    means.forEach((mean, i) => assert.ok(Math.abs(mean - expectedRgb(3 * i)) < 6, `frame ${3 * i}: mean ${mean}, expected ${expectedRgb(3 * i)}`));
  });

  test('an error of the consumer stops ffmpeg and is what the caller sees', async () => {
    const frameIndex = await frameTimestamps(tools, video);
    class Stop extends Error {}
    await assert.rejects(
      streamSampledRgbFrames(tools, { path: video, frameIndex, stride: 1, width: 4, height: 4, batchSize: 2 }, async () => {
        throw new Stop('stop');
      }),
      Stop,
    );
  });
});

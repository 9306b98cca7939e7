import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probeVideo, readGrayFrames, type VideoProbe } from '../../adapters/ffmpeg/index.js';
import { makeNumberedVideo, testTools } from '../../adapters/ffmpeg/testdata/fixtures.js';
import { OnnxModelError, OnnxPhiDetector, type ClassifierSpec } from '../../adapters/onnx/index.js';
import { brightnessModel } from '../../adapters/onnx/testdata/brightness-model.js';
import { phiGridModel } from '../../adapters/onnx/testdata/phi-grid-model.js';
import { Invalid } from '../../shared/errors.js';
import { NO_PHI_DETECTOR, type PhiDetectorRun } from './phi-detection.js';
import { maxScoreInside, mergeRects, regionsOfHeatmap } from './phi-regions.js';
import type { ProcessorGeometry } from './processor-geometry.js';
import { maskVideo } from './video-anonymizer.js';
import { planVideoMask } from './video-masking.js';

const tools = testTools();

// 320×96 at 25 fps: the frame-number bits (white squares, x 0–160, y 0–16) stand in for a device
// overlay left of the endoscope image (x 160–320); a bright "name tag" box sits inside the image
// at x 224–256, y 48–64 in frames 5–9 only, on a dim grey background.
const WIDTH = 320;
const HEIGHT = 96;
const FRAMES = 30;
const BOX = { x: 224, y: 48, width: 32, height: 16 };
const BOX_FRAMES = [5, 6, 7, 8, 9];
const layout: ProcessorGeometry = { name: 'test_layout', imageWidth: WIDTH, imageHeight: HEIGHT, endoscopeImage: { x: 160, y: 0, width: 160, height: 96 }, overlayRois: {}, geometrySource: 'test' };

// The detector sees the frame at 80×24; 4×4 input cells → a 20×6 grid of 16×16 frame pixels.
const spec: ClassifierSpec = { inputWidth: 80, inputHeight: 24, mean: [0, 0, 0], std: [1, 1, 1], activation: 'sigmoid', batchSize: 8 };
const detectorBytes = phiGridModel({ width: 80, height: 24, cell: 4, gain: 20, level: 0.5 });

let dir: string;
let source: string;
let probe: VideoProbe;

async function detectorRun(): Promise<PhiDetectorRun> {
  return { detector: await OnnxPhiDetector.load(detectorBytes, spec), model: { id: 7, name: 'phi_test', version: 1 }, threshold: 0.5 };
}

const at = (gray: Buffer, x: number, y: number) => gray[y * WIDTH + x]!;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lx-phi-'));
  source = join(dir, 'source.mp4');
  await makeNumberedVideo(source, { width: WIDTH, height: HEIGHT, frames: FRAMES, background: '0x505050', extraFilter: `drawbox=x=${BOX.x}:y=${BOX.y}:w=${BOX.width}:h=${BOX.height}:color=white:t=fill:enable='between(n,5,9)'` });
  probe = await probeVideo(tools, source);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PHI regions from a heat map', () => {
  const map = { gridWidth: 4, gridHeight: 2, scores: Float32Array.from([0.9, 0.95, 0, 0, 0, 0.2, 0, 0.7]) };

  it('thresholds cells, scales them to the frame, pads and merges neighbours', () => {
    assert.deepEqual(regionsOfHeatmap(map, { frameWidth: 400, frameHeight: 100, threshold: 0.5, paddingPx: 5 }), [
      { x: 0, y: 0, width: 205, height: 55 },
      { x: 295, y: 45, width: 105, height: 55 },
    ]);
    assert.deepEqual(regionsOfHeatmap(map, { frameWidth: 400, frameHeight: 100, threshold: 0.99, paddingPx: 5 }), []);
  });

  it('merges overlapping and touching rectangles until none overlap', () => {
    assert.deepEqual(mergeRects([{ x: 0, y: 0, width: 10, height: 10 }, { x: 50, y: 50, width: 5, height: 5 }, { x: 10, y: 5, width: 10, height: 10 }]), [
      { x: 0, y: 0, width: 20, height: 15 },
      { x: 50, y: 50, width: 5, height: 5 },
    ]);
  });

  it('scores a frame only by the cells inside the endoscope image', () => {
    assert.ok(Math.abs(maxScoreInside(map, { x: 200, y: 0, width: 200, height: 100 }, { frameWidth: 400, frameHeight: 100 }) - 0.7) < 1e-6);
    assert.ok(Math.abs(maxScoreInside(map, { x: 0, y: 0, width: 200, height: 100 }, { frameWidth: 400, frameHeight: 100 }) - 0.95) < 1e-6);
  });

  it('refuses a detector_assisted plan without regions and an automatic removal without frames', () => {
    assert.throws(() => planVideoMask({ frameWidth: WIDTH, frameHeight: HEIGHT, frameCount: 10, geometry: layout, strategy: { kind: 'detector_assisted' } }), Invalid);
    assert.throws(() => planVideoMask({ frameWidth: WIDTH, frameHeight: HEIGHT, frameCount: 10, geometry: layout, strategy: { kind: 'safe' }, removal: { mode: 'automatic' } }), Invalid);
  });
});

describe('ONNX PHI detector on a generated video', () => {
  it('refuses a model whose output is not a heat map [N, 1, gh, gw]', async () => {
    const classifier = await OnnxPhiDetector.load(brightnessModel([{ weight: 1, bias: 0 }], { width: 80, height: 24 }), spec);
    try {
      await assert.rejects(classifier.heatmaps([Buffer.alloc(80 * 24 * 3)]), (e: unknown) => e instanceof OnnxModelError && /erwartet \[1, 1, Rasterhöhe, Rasterbreite\]/.test(e.message));
    } finally {
      await classifier.close();
    }
  });

  it('without a detector, detector_assisted is refused with the German message', async () => {
    await assert.rejects(
      maskVideo(tools, { inputPath: source, outputPath: join(dir, 'never.mp4'), probe, geometry: layout, strategy: { kind: 'detector_assisted' }, encoderPreset: 'ultrafast' }),
      (e: unknown) => e instanceof Invalid && e.message === NO_PHI_DETECTOR,
    );
  });

  it('detector_assisted: the box found in some frames is black in every frame, the rest of the image is not', async () => {
    const run = await detectorRun();
    const output = join(dir, 'detector-assisted.mp4');
    try {
      const result = await maskVideo(tools, { inputPath: source, outputPath: output, probe, geometry: layout, strategy: { kind: 'detector_assisted' }, phi: run, encoderPreset: 'ultrafast' });
      const scan = result.phiScan!;
      // Cells x 224–256, y 48–64 padded by a quarter cell (4 px); other regions only over the overlay bits, left of the image.
      const inImage = scan.regions.filter((r) => r.x + r.width > layout.endoscopeImage.x);
      assert.deepEqual(inImage, [{ x: 220, y: 44, width: 40, height: 24 }]);
      assert.ok(scan.regions.length > inImage.length, 'the lit overlay bits outside the image are regions too');
      assert.deepEqual(scan.flaggedFrames, BOX_FRAMES);
      assert.equal(result.plan.remainingFrameCount, FRAMES);

      const out = await probeVideo(tools, output);
      const frames = await readGrayFrames(tools, { path: output, frameNumbers: Array.from({ length: FRAMES }, (_, i) => i), frameIndex: out.frameIndex, width: WIDTH, height: HEIGHT });
      for (const [n, gray] of frames) {
        for (const [x, y] of [[240, 56], [222, 46], [258, 66]] as const) assert.ok(at(gray, x, y) < 24, `frame ${n}: (${x},${y}) = ${at(gray, x, y)} is masked`);
        for (const [x, y] of [[180, 80], [300, 20], [200, 30], [290, 80]] as const) assert.ok(at(gray, x, y) > 60, `frame ${n}: (${x},${y}) = ${at(gray, x, y)} stays visible`);
        assert.ok(at(gray, 8, 8) < 24, `frame ${n}: outside the image is black`);
      }
    } finally {
      await run.detector.close();
    }
  });

  it('automatic frame removal drops exactly the frames with the box inside the image', async () => {
    const run = await detectorRun();
    const output = join(dir, 'removed.mp4');
    try {
      const result = await maskVideo(tools, { inputPath: source, outputPath: output, probe, geometry: layout, strategy: { kind: 'safe' }, removal: { mode: 'automatic' }, phi: run, encoderPreset: 'ultrafast' });
      assert.equal(result.phiScan!.stride, 1);
      assert.equal(result.phiScan!.scannedFrames, FRAMES);
      assert.deepEqual(result.plan.removeFrames, [{ startFrame: 5, endFrame: 9 }]);
      const out = await probeVideo(tools, output);
      assert.equal(out.frameCount, FRAMES - BOX_FRAMES.length);
      // Removed frames leave a gap in time: each kept frame still sits at its source timestamp.
      const kept = Array.from({ length: out.frameCount }, (_, i) => Math.round(out.frameIndex.secondsOf(i) * 25));
      assert.deepEqual(kept, Array.from({ length: FRAMES }, (_, i) => i).filter((i) => !BOX_FRAMES.includes(i)));
    } finally {
      await run.detector.close();
    }
  });
});

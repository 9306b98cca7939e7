import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameIndex } from '../../adapters/ffmpeg/index.js';
import { Invalid } from '../../shared/errors.js';
import { encodePts, decodePts } from './frame-index.repository.js';
import { frameStride, predictionRuns, sampledFrameNumbers, smoothProbabilities, windowSamples } from './prediction-postprocess.js';
import { assertMinimumDuration, inclusiveRanges, resolveBounds, segmentSeconds } from './segment-frames.js';

// 10 frames at 25 fps starting at stream time 10 s, then a variable-rate tail (frames 10–12 at 0.1 s).
const pts = [...Array.from({ length: 10 }, (_, i) => 10_000 + i * 40), 10_400, 10_500, 10_600];
const index = FrameIndex.fromPts(pts, { num: 1, den: 1000 });

describe('segment bounds on the exact frame index', () => {
  test('times snap to the nearest frame start; end is exclusive and the video end maps to frameCount', () => {
    assert.deepEqual(resolveBounds(index, { start_time: 0.081, end_time: 0.2 }), { startFrame: 2, endFrame: 5 });
    assert.deepEqual(resolveBounds(index, { start_time: 0.45, end_time: index.durationSeconds }), { startFrame: 10, endFrame: 13 });
    // variable rate: 0.52 s is nearest to frame 11 (0.5 s), not to 0.52 / 0.04
    assert.deepEqual(resolveBounds(index, { start_time: 0.52, end_time: 0.6 }), { startFrame: 11, endFrame: 12 });
  });

  test('frames round-trip through seconds exactly', () => {
    for (let start = 0; start < index.frameCount; start += 1) {
      for (let end = start + 1; end <= index.frameCount; end += 1) {
        const { startTime, endTime } = segmentSeconds(index, { startFrame: start, endFrame: end });
        assert.deepEqual(resolveBounds(index, { start_time: startTime, end_time: endTime }), { startFrame: start, endFrame: end });
      }
    }
  });

  test('frame numbers win over times; missing sides keep the current bounds', () => {
    assert.deepEqual(resolveBounds(index, { start_frame_number: 3, start_time: 0, end_frame_number: 4 }), { startFrame: 3, endFrame: 4 });
    assert.deepEqual(resolveBounds(index, { end_time: 0.2 }, { startFrame: 1, endFrame: 3 }), { startFrame: 1, endFrame: 5 });
  });

  test('empty, reversed and out-of-range segments are refused in German', () => {
    assert.throws(() => resolveBounds(index, { start_frame_number: 4, end_frame_number: 4 }), (e: unknown) => e instanceof Invalid && /nach dem Segmentanfang/.test(e.message));
    assert.throws(() => resolveBounds(index, { start_frame_number: 0, end_frame_number: 14 }), Invalid);
    assert.throws(() => resolveBounds(index, { start_time: 5, end_time: 6 }), Invalid);
    assert.throws(() => resolveBounds(index, {}), Invalid);
  });

  test('the minimum duration is honoured with half a frame of tolerance', () => {
    assert.doesNotThrow(() => assertMinimumDuration(index, { startFrame: 0, endFrame: 5 }, 0.2));
    assert.throws(() => assertMinimumDuration(index, { startFrame: 0, endFrame: 4 }, 0.2), /Mindestdauer/);
  });

  test('exclusive bounds become merged inclusive ffmpeg ranges', () => {
    assert.deepEqual(inclusiveRanges([{ startFrame: 5, endFrame: 8 }, { startFrame: 0, endFrame: 2 }, { startFrame: 2, endFrame: 3 }, { startFrame: 7, endFrame: 10 }]), [
      { startFrame: 0, endFrame: 2 },
      { startFrame: 5, endFrame: 9 },
    ]);
  });

  test('cached timestamps are stored as runs and decode to the same index', () => {
    const encoded = encodePts(pts);
    assert.deepEqual(encoded, { first: 10_000, runs: [[40, 10], [100, 2]] });
    assert.deepEqual(decodePts(encoded), pts);
  });
});

describe('prediction post-processing', () => {
  test('sampling stride and one-second window follow the frame rate', () => {
    assert.equal(frameStride(1 / 50, 5), 10);
    assert.equal(frameStride(1 / 50, 0), 1);
    assert.equal(windowSamples(1 / 50, 10), 5);
    assert.deepEqual(sampledFrameNumbers(7, 3), [0, 3, 6]);
  });

  test('smoothing removes a one-sample flicker, thresholding at 0.5 yields runs in frames', () => {
    const p = [0.9, 0.9, 0.1, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.95].map((v) => Float32Array.of(v, 1 - v));
    const smoothed = smoothProbabilities(p, 3);
    const runs = predictionRuns([0, 2, 4, 6, 8, 10, 12, 14, 16, 18], smoothed, ['polyp', 'outside'], 20);
    assert.deepEqual(runs, [
      { label: 'polyp', startFrame: 0, endFrame: 10 },
      { label: 'outside', startFrame: 10, endFrame: 18 },
      { label: 'polyp', startFrame: 18, endFrame: 20 },
    ]);
  });
});

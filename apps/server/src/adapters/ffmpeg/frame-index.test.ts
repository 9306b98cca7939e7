import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaInputError } from './errors.js';
import { FrameIndex, sampleFrameNumbers } from './frame-index.js';

const TB = { num: 1, den: 12800 };
/** 25 fps for 20 frames, a 0.5 s gap, then 12.5 fps: timestamps as a VFR recorder writes them. */
function vfrPts(start: number): number[] {
  const pts: number[] = [];
  for (let i = 0; i < 20; i += 1) pts.push(start + i * 512);
  for (let i = 0; i < 10; i += 1) pts.push(start + 20 * 512 + 6400 + i * 1024);
  return pts;
}

describe('FrameIndex', () => {
  it('converts frames to seconds from the first frame, whatever the stream clock starts at', () => {
    const index = FrameIndex.fromPts(vfrPts(96000), TB);
    assert.equal(index.frameCount, 30);
    assert.equal(index.startPtsSeconds, 7.5);
    assert.equal(index.secondsOf(0), 0);
    assert.equal(index.secondsOf(1), 0.04);
    assert.equal(index.secondsOf(20), 1.3);
    assert.equal(index.secondsOf(21), 1.38);
    assert.equal(index.ptsSecondsOf(20), 8.8);
    assert.equal(index.ptsOf(2), 96000 + 1024);
  });

  it('maps a time to the frame being shown, across a variable-rate gap', () => {
    const index = FrameIndex.fromPts(vfrPts(96000), TB);
    assert.equal(index.frameAt(0), 0);
    assert.equal(index.frameAt(0.039), 0);
    assert.equal(index.frameAt(0.04), 1);
    // A player's float time a hair below a frame start still belongs to that frame.
    assert.equal(index.frameAt(0.04 - 1e-9), 1);
    assert.equal(index.frameAt(0.9), 19, 'inside the gap the last frame before it is shown');
    assert.equal(index.frameAt(1.3), 20);
    assert.equal(index.frameAt(index.durationSeconds), 29);
    for (let f = 0; f < index.frameCount; f += 1) assert.equal(index.frameAt(index.secondsOf(f)), f, `round trip of frame ${f}`);
  });

  it('snaps to the nearest frame start', () => {
    const index = FrameIndex.fromPts(vfrPts(0), TB);
    assert.equal(index.nearestFrame(0.03), 1);
    assert.equal(index.nearestFrame(0.01), 0);
    assert.equal(index.nearestFrame(1.25), 20);
  });

  it('reports duration and typical frame interval from the timestamps, not a nominal rate', () => {
    const index = FrameIndex.fromPts(vfrPts(0), TB);
    assert.equal(index.typicalFrameSeconds, 0.04);
    assert.equal(index.durationSeconds, index.secondsOf(29) + 0.04);
    assert.ok(Math.abs(index.averageFps - 30 / index.durationSeconds) < 1e-9);
  });

  it('refuses frame numbers and times outside the video', () => {
    const index = FrameIndex.fromPts(vfrPts(0), TB);
    assert.throws(() => index.secondsOf(30), (e: unknown) => e instanceof MediaInputError && e.code === 'frame_range');
    assert.throws(() => index.secondsOf(-1), MediaInputError);
    assert.throws(() => index.secondsOf(1.5), MediaInputError);
    assert.throws(() => index.frameAt(-0.5), MediaInputError);
    assert.throws(() => index.frameAt(index.durationSeconds + 1), MediaInputError);
    assert.throws(() => index.frameAt(Number.NaN), MediaInputError);
  });

  it('refuses ambiguous timestamps: empty, missing, repeated or going backwards', () => {
    assert.throws(() => FrameIndex.fromPts([], TB), (e: unknown) => e instanceof MediaInputError && e.code === 'no_video');
    assert.throws(() => FrameIndex.fromPts([0, Number.NaN, 1024], TB), (e: unknown) => e instanceof MediaInputError && e.code === 'timestamps');
    assert.throws(() => FrameIndex.fromPts([0, 512, 512], TB), /streng aufsteigend/);
    assert.throws(() => FrameIndex.fromPts([0, 1024, 512], TB), /streng aufsteigend/);
    assert.throws(() => FrameIndex.fromPts([0], { num: 0, den: 1 }), RangeError);
  });

  it('round-trips through its stored form', () => {
    const index = FrameIndex.fromPts(vfrPts(4000), TB);
    const copy = FrameIndex.fromData(JSON.parse(JSON.stringify(index.toData())));
    assert.deepEqual(copy.toData(), index.toData());
    assert.equal(copy.secondsOf(25), index.secondsOf(25));
  });

  it('handles a single-frame video without inventing a frame rate from nothing', () => {
    const index = FrameIndex.fromPts([1234], TB);
    assert.equal(index.frameCount, 1);
    assert.equal(index.frameAt(0), 0);
    assert.equal(index.durationSeconds, 0.04);
  });
});

describe('sampleFrameNumbers', () => {
  it('spreads the sample over the whole video, from the middle of each slice', () => {
    assert.deepEqual(sampleFrameNumbers(100, 4), [12, 37, 62, 87]);
    const sample = sampleFrameNumbers(90_000, 24);
    assert.equal(sample.length, 24);
    assert.ok(sample[0]! > 0 && sample[23]! < 89_999);
    for (let i = 1; i < sample.length; i += 1) assert.ok(sample[i]! > sample[i - 1]!);
  });

  it('returns every frame of a video shorter than the sample, and nothing for nothing', () => {
    assert.deepEqual(sampleFrameNumbers(3, 24), [0, 1, 2]);
    assert.deepEqual(sampleFrameNumbers(1, 24), [0]);
    assert.deepEqual(sampleFrameNumbers(0, 24), []);
    assert.throws(() => sampleFrameNumbers(-1, 3), RangeError);
  });
});

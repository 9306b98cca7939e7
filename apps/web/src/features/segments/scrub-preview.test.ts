import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bucketFrame, bucketSize, ScrubPreview, scrubEnabled } from './scrub-preview';

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('scrub preview bucketing', () => {
  it('is on for videos longer than a minute or a zoomed view, off otherwise', () => {
    const whole = (frames: number) => ({ startFrame: 0, endFrame: frames, widthPx: 800 });
    expect(scrubEnabled(whole(25 * 60), 1500, 25)).toBe(false);
    expect(scrubEnabled(whole(25 * 61), 25 * 61, 25)).toBe(true);
    expect(scrubEnabled({ startFrame: 100, endFrame: 600, widthPx: 800 }, 1500, 25)).toBe(true);
    expect(scrubEnabled(whole(1), 1, 25)).toBe(false);
  });

  it('groups the frames under about 8 pixels into one bucket, represented by its first frame inside the video', () => {
    const v = { startFrame: 0, endFrame: 90_000, widthPx: 900 }; // 100 frames per pixel
    expect(bucketSize(v)).toBe(800);
    expect(bucketFrame(0, 800, 90_000)).toBe(0);
    expect(bucketFrame(799, 800, 90_000)).toBe(0);
    expect(bucketFrame(800, 800, 90_000)).toBe(800);
    expect(bucketFrame(90_000, 800, 90_000)).toBe(89_600);
    expect(bucketFrame(90_000, 1000, 90_000)).toBe(89_999); // the end of the ruler is the last frame
    expect(bucketFrame(-5, 800, 90_000)).toBe(0);
    // Zoomed in to fewer frames than pixels: every frame is its own bucket.
    expect(bucketSize({ startFrame: 10, endFrame: 110, widthPx: 900 })).toBe(1);
  });
});

describe('ScrubPreview', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup() {
    const loads: number[] = [];
    const released: string[] = [];
    const shown: Array<[number, string]> = [];
    const preview = new ScrubPreview({
      load: async (f) => {
        loads.push(f);
        return `blob:${f}`;
      },
      release: (u) => released.push(u),
      show: (f, u) => shown.push([f, u]),
      throttleMs: 100,
      maxEntries: 3,
    });
    return { preview, loads, released, shown };
  }

  it('fetches at most one new frame per throttle window and then the last one wanted', async () => {
    const { preview, loads, shown } = setup();
    preview.hover(0);
    preview.hover(8);
    preview.hover(16);
    preview.hover(24);
    await flush();
    expect(loads).toEqual([0]);
    // Frame 0 arrived after the pointer had moved on: a stale image is not shown.
    expect(shown).toEqual([]);
    await vi.advanceTimersByTimeAsync(99);
    expect(loads).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(loads).toEqual([0, 24]);
    expect(shown).toEqual([[24, 'blob:24']]);
  });

  it('shows cached buckets at once without a new request, and evicts the least recently used', async () => {
    const { preview, loads, released, shown } = setup();
    for (const f of [0, 8, 16]) {
      preview.hover(f);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(loads).toEqual([0, 8, 16]);
    preview.hover(0); // cached: immediate, no throttle, no request
    expect(shown.at(-1)).toEqual([0, 'blob:0']);
    expect(loads).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(100);
    preview.hover(24);
    await flush();
    expect(released).toEqual(['blob:8']);
    expect(preview.cachedFrames).toEqual([16, 0, 24]);
    preview.dispose();
    expect(released.sort()).toEqual(['blob:0', 'blob:16', 'blob:24', 'blob:8']);
  });

  it('fetches nothing more once the pointer has left', async () => {
    const { preview, loads } = setup();
    preview.hover(0);
    preview.hover(8);
    preview.leave();
    await vi.advanceTimersByTimeAsync(500);
    expect(loads).toEqual([0]);
  });
});

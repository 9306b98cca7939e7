import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectFieldOfView, FieldOfViewUnsure, type GraySamples } from './field-of-view.js';

const W = 192;
const H = 108;

/** A frame at sample size with a lit disc and optional lit rectangles (overlay text). */
function frame(draw: { disc?: { cx: number; cy: number; r: number; value?: number }; boxes?: { x: number; y: number; w: number; h: number }[]; full?: boolean }): Buffer {
  const f = Buffer.alloc(W * H, 8);
  for (let y = 0; y < H; y += 1) {
    for (let x = 0; x < W; x += 1) {
      const d = draw.disc;
      if (draw.full || (d && (x - d.cx) ** 2 + (y - d.cy) ** 2 < d.r ** 2)) f[y * W + x] = d?.value ?? 150;
    }
  }
  for (const b of draw.boxes ?? []) for (let y = b.y; y < b.y + b.h; y += 1) for (let x = b.x; x < b.x + b.w; x += 1) f[y * W + x] = 230;
  return f;
}
const samples = (frames: Buffer[]): GraySamples => ({ width: W, height: H, frames, frameWidth: 1920, frameHeight: 1080 });
const text = [
  { x: 2, y: 4, w: 30, h: 3 },
  { x: 2, y: 10, w: 40, h: 3 },
  { x: 2, y: 100, w: 25, h: 3 },
];

describe('detectFieldOfView', () => {
  it('finds the round endoscope image beside overlay text, in full-frame pixels with a small margin', () => {
    const detected = detectFieldOfView(samples([frame({ disc: { cx: 122, cy: 54, r: 53 }, boxes: text })]));
    // Disc spans x 70..174, y 2..106 in sample pixels; one pixel margin, ×10 to full size.
    assert.deepEqual(detected.rect, { x: 690, y: 10, width: 1070, height: 1070 });
    assert.ok(detected.fillShare > 0.7 && detected.fillShare < 0.85);
  });

  it('combines samples: a dark lumen in one frame is lit in another', () => {
    const a = frame({ disc: { cx: 122, cy: 54, r: 53 }, boxes: text });
    const b = frame({ disc: { cx: 122, cy: 54, r: 53 }, boxes: text });
    for (let y = 30; y < 80; y += 1) for (let x = 100; x < 150; x += 1) a[y * W + x] = 5;
    assert.deepEqual(detectFieldOfView(samples([a, b])).rect, detectFieldOfView(samples([b])).rect);
  });

  it('fails closed when unsure', () => {
    const unsure = (frames: Buffer[], reason: RegExp) => assert.throws(() => detectFieldOfView(samples(frames)), (e: unknown) => e instanceof FieldOfViewUnsure && reason.test(e.message));
    unsure([frame({ boxes: text })], /kein zusammenhängender Bildbereich/);
    unsure([frame({ full: true })], /füllt das ganze Video/);
    unsure([frame({ disc: { cx: 60, cy: 54, r: 40 }, boxes: [{ x: 120, y: 10, w: 60, h: 60 }] })], /mehr als ein Bildbereich/);
    // Text in the black corner of the image's bounding box would survive a rectangular mask.
    unsure([frame({ disc: { cx: 122, cy: 54, r: 53 }, boxes: [...text, { x: 160, y: 3, w: 12, h: 3 }] })], /im Rechteck des Bildbereichs/);
    unsure([frame({ disc: { cx: 122, cy: 54, r: 53 }, boxes: [{ x: 72, y: 5, w: 8, h: 3 }] })], /im Rechteck des Bildbereichs/);
    unsure([], /keine Bilder/);
  });

  it('accepts lit spots inside the image and ignores single specks of compression noise', () => {
    const f = frame({ disc: { cx: 122, cy: 54, r: 53 }, boxes: text });
    for (let y = 40; y < 60; y += 1) for (let x = 110; x < 130; x += 1) f[y * W + x] = 5;
    f[50 * W + 120] = 250;
    f[2 * W + 70] = 200;
    assert.deepEqual(detectFieldOfView(samples([f])).rect, { x: 690, y: 10, width: 1070, height: 1070 });
  });
});

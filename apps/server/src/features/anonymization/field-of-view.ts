import type { Rect } from '../knowledge-base/index.js';

/** Gray level (0..255) above which a pixel counts as lit; recorder black sits at 0..20. */
export const FOV_BRIGHTNESS_THRESHOLD = 40;
/** The image must cover at least this share of the frame to be told apart from overlay text. */
const MIN_IMAGE_SHARE = 0.1;
/** Share of its bounding box the image must fill (a round image fills ~0.79, text rows far less). */
const MIN_FILL_SHARE = 0.4;
/** An image this close to the full frame leaves no room to separate overlays from it. */
const FULL_FRAME_SHARE = 0.97;
/** A second lit area this large means two pictures (e.g. picture-in-picture): ambiguous. */
const SECOND_IMAGE_SHARE = 0.04;
/** Lit specks smaller than this (sample pixels) are compression noise, not text. */
const SPECK_PIXELS = 3;

/** Why detection refused to guess. */
export class FieldOfViewUnsure extends Error {
  override readonly name = 'FieldOfViewUnsure';
}

export interface GraySamples {
  /** Size of each sample frame (a downscaled copy of the video frame). */
  readonly width: number;
  readonly height: number;
  readonly frames: readonly Buffer[];
  /** Size of the real video frame the result is expressed in. */
  readonly frameWidth: number;
  readonly frameHeight: number;
}

export interface DetectedFieldOfView {
  readonly rect: Rect;
  /** Share of the frame the lit image covers. */
  readonly imageShare: number;
  readonly fillShare: number;
}

/**
 * Finds the endoscope image in a video whose layout matches no preset: the largest
 * connected area that is lit in any sample frame. Overlay text forms small separate areas.
 * Everything this cannot decide with confidence (no clear image, a second picture, text
 * inside the image's box, an image filling the frame) throws `FieldOfViewUnsure`: the
 * caller refuses to process rather than keep pixels that might show identifiers.
 */
export function detectFieldOfView(samples: GraySamples): DetectedFieldOfView {
  const { width, height } = samples;
  const size = width * height;
  if (samples.frames.length === 0) throw new FieldOfViewUnsure('keine Bilder zur Erkennung des Bildausschnitts');
  const lit = new Uint8Array(size);
  for (const frame of samples.frames) {
    if (frame.length !== size) throw new RangeError('sample frame has the wrong size');
    for (let i = 0; i < size; i += 1) if (frame[i]! > FOV_BRIGHTNESS_THRESHOLD) lit[i] = 1;
  }

  const labels = new Int32Array(size);
  const areas: number[] = [0];
  const queue = new Int32Array(size);
  for (let start = 0; start < size; start += 1) {
    if (!lit[start] || labels[start]) continue;
    const label = areas.length;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    labels[start] = label;
    let area = 0;
    while (head < tail) {
      const p = queue[head++]!;
      area += 1;
      const x = p % width;
      const neighbours = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p - width, p + width];
      for (const q of neighbours) {
        if (q >= 0 && q < size && lit[q] && !labels[q]) {
          labels[q] = label;
          queue[tail++] = q;
        }
      }
    }
    areas.push(area);
  }

  const ranked = areas.map((area, label) => ({ area, label })).filter((c) => c.label > 0).sort((a, b) => b.area - a.area);
  const main = ranked[0];
  if (!main || main.area < MIN_IMAGE_SHARE * size) throw new FieldOfViewUnsure('kein zusammenhängender Bildbereich erkennbar (Video zu dunkel oder ohne Endoskopbild)');
  const second = ranked[1];
  if (second && second.area > SECOND_IMAGE_SHARE * size) throw new FieldOfViewUnsure('mehr als ein Bildbereich erkannt (z. B. Bild-im-Bild)');

  // Bounding box and, per row, the span the image covers.
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  const rowMin = new Int32Array(height).fill(width);
  const rowMax = new Int32Array(height).fill(-1);
  for (let p = 0; p < size; p += 1) {
    if (labels[p] !== main.label) continue;
    const x = p % width;
    const y = (p - x) / width;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (x < rowMin[y]!) rowMin[y] = x;
    if (x > rowMax[y]!) rowMax[y] = x;
  }
  const boxArea = (x1 - x0 + 1) * (y1 - y0 + 1);
  const fillShare = main.area / boxArea;
  if (fillShare < MIN_FILL_SHARE) throw new FieldOfViewUnsure('der erkannte Bildbereich ist zu unregelmäßig');
  if ((x1 - x0 + 1) / width >= FULL_FRAME_SHARE && (y1 - y0 + 1) / height >= FULL_FRAME_SHARE) {
    throw new FieldOfViewUnsure('das Bild füllt das ganze Video; Einblendungen lassen sich nicht vom Bild trennen');
  }

  // One sample pixel of margin absorbs downscaling; it must not reach any other lit area.
  const mx0 = Math.max(0, x0 - 1);
  const my0 = Math.max(0, y0 - 1);
  const mx1 = Math.min(width - 1, x1 + 1);
  const my1 = Math.min(height - 1, y1 + 1);
  for (let y = my0; y <= my1; y += 1) {
    for (let x = mx0; x <= mx1; x += 1) {
      const label = labels[y * width + x]!;
      if (label === 0 || label === main.label || areas[label]! < SPECK_PIXELS) continue;
      // Lit pixels between the image's left and right edge on that row are part of the picture.
      if (x > rowMin[y]! && x < rowMax[y]!) continue;
      throw new FieldOfViewUnsure('Einblendungen liegen im Rechteck des Bildbereichs');
    }
  }

  const sx = samples.frameWidth / width;
  const sy = samples.frameHeight / height;
  const left = Math.max(0, Math.floor(mx0 * sx));
  const top = Math.max(0, Math.floor(my0 * sy));
  const right = Math.min(samples.frameWidth, Math.ceil((mx1 + 1) * sx));
  const bottom = Math.min(samples.frameHeight, Math.ceil((my1 + 1) * sy));
  return {
    rect: { x: left, y: top, width: right - left, height: bottom - top },
    imageShare: Math.round((main.area / size) * 1000) / 1000,
    fillShare: Math.round(fillShare * 1000) / 1000,
  };
}

import type { PhiHeatmap } from '../../adapters/onnx/index.js';
import type { Rect } from '../knowledge-base/index.js';

export interface FrameGeometry {
  readonly frameWidth: number;
  readonly frameHeight: number;
}

/** The frame pixels a grid cell covers (cells tile the whole frame; edges rounded outward). */
export function cellRect(map: Pick<PhiHeatmap, 'gridWidth' | 'gridHeight'>, col: number, row: number, frame: FrameGeometry): Rect {
  const x0 = Math.floor((col * frame.frameWidth) / map.gridWidth);
  const y0 = Math.floor((row * frame.frameHeight) / map.gridHeight);
  const x1 = Math.ceil(((col + 1) * frame.frameWidth) / map.gridWidth);
  const y1 = Math.ceil(((row + 1) * frame.frameHeight) / map.gridHeight);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function pad(rect: Rect, padding: number, frame: FrameGeometry): Rect {
  const x0 = Math.max(0, rect.x - padding);
  const y0 = Math.max(0, rect.y - padding);
  const x1 = Math.min(frame.frameWidth, rect.x + rect.width + padding);
  const y1 = Math.min(frame.frameHeight, rect.y + rect.height + padding);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function overlapOrTouch(a: Rect, b: Rect): boolean {
  return a.x <= b.x + b.width && b.x <= a.x + a.width && a.y <= b.y + b.height && b.y <= a.y + a.height;
}

function bounding(a: Rect, b: Rect): Rect {
  const x0 = Math.min(a.x, b.x);
  const y0 = Math.min(a.y, b.y);
  return { x: x0, y: y0, width: Math.max(a.x + a.width, b.x + b.width) - x0, height: Math.max(a.y + a.height, b.y + b.height) - y0 };
}

/**
 * Merges rectangles that overlap or touch into their bounding boxes until none do. Growing
 * only ever covers more: a merged set masks at least every input pixel.
 */
export function mergeRects(rects: readonly Rect[]): Rect[] {
  const out = [...rects];
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i += 1) {
      for (let j = i + 1; j < out.length; j += 1) {
        if (overlapOrTouch(out[i]!, out[j]!)) {
          out[i] = bounding(out[i]!, out[j]!);
          out.splice(j, 1);
          merged = true;
          break;
        }
      }
    }
  }
  return out.sort((a, b) => a.y - b.y || a.x - b.x);
}

/**
 * Regions of one heat map: every cell at or above `threshold`, scaled to the frame, grown by
 * `paddingPx` on each side (text often reaches past a cell's edge) and merged.
 */
export function regionsOfHeatmap(map: PhiHeatmap, options: FrameGeometry & { threshold: number; paddingPx: number }): Rect[] {
  const cells: Rect[] = [];
  for (let row = 0; row < map.gridHeight; row += 1) {
    for (let col = 0; col < map.gridWidth; col += 1) {
      if (map.scores[row * map.gridWidth + col]! >= options.threshold) cells.push(pad(cellRect(map, col, row, options), options.paddingPx, options));
    }
  }
  return mergeRects(cells);
}

/** The highest score of the cells whose centre lies inside `image` (the endoscope picture). */
export function maxScoreInside(map: PhiHeatmap, image: Rect, frame: FrameGeometry): number {
  let max = 0;
  for (let row = 0; row < map.gridHeight; row += 1) {
    for (let col = 0; col < map.gridWidth; col += 1) {
      const c = cellRect(map, col, row, frame);
      const cx = c.x + c.width / 2;
      const cy = c.y + c.height / 2;
      if (cx >= image.x && cx < image.x + image.width && cy >= image.y && cy < image.y + image.height) max = Math.max(max, map.scores[row * map.gridWidth + col]!);
    }
  }
  return max;
}

import type { DragMode, DraftSegment } from './segment-draft';

/** The visible window of the timeline: which frames map onto how many pixels. */
export interface Viewport {
  readonly startFrame: number;
  readonly endFrame: number;
  readonly widthPx: number;
}

export const RULER_PX = 18;
export const LANE_PX = 22;
/** Pointer distance to a segment edge that grabs the edge instead of the body. */
export const EDGE_GRAB_PX = 6;

export const frameToX = (v: Viewport, frame: number): number => ((frame - v.startFrame) / Math.max(1, v.endFrame - v.startFrame)) * v.widthPx;
export const xToFrame = (v: Viewport, x: number): number => Math.round(v.startFrame + (x / Math.max(1, v.widthPx)) * (v.endFrame - v.startFrame));

/** Zooms by `factor` (<1 zooms in) around `anchorFrame`, kept inside `[0, frameCount]`, at least `minSpan` frames wide. */
export function zoomViewport(v: Viewport, factor: number, anchorFrame: number, frameCount: number, minSpan = 25): Viewport {
  const span = v.endFrame - v.startFrame;
  const nextSpan = Math.min(frameCount, Math.max(minSpan, Math.round(span * factor)));
  const ratio = span > 0 ? (anchorFrame - v.startFrame) / span : 0.5;
  let start = Math.round(anchorFrame - ratio * nextSpan);
  start = Math.min(Math.max(0, start), Math.max(0, frameCount - nextSpan));
  return { ...v, startFrame: start, endFrame: start + nextSpan };
}

/** Scrolls the window so that `frame` is visible (used while playing). */
export function followFrame(v: Viewport, frame: number, frameCount: number): Viewport {
  if (frame >= v.startFrame && frame <= v.endFrame) return v;
  const span = v.endFrame - v.startFrame;
  const start = Math.min(Math.max(0, frame - Math.round(span * 0.1)), Math.max(0, frameCount - span));
  return { ...v, startFrame: start, endFrame: start + span };
}

export interface Hit {
  readonly key: string;
  readonly mode: DragMode;
}

/** Lane index per label id: one row per label in the given order. */
export const laneIndex = (labelIds: readonly number[]): Map<number, number> => new Map(labelIds.map((id, i) => [id, i]));

/** The segment and grab mode under a pointer; edges win over bodies, the narrowest body wins. */
export function hitTest(v: Viewport, lanes: Map<number, number>, segments: Iterable<DraftSegment>, x: number, y: number): Hit | undefined {
  const lane = Math.floor((y - RULER_PX) / LANE_PX);
  if (lane < 0) return undefined;
  let best: { hit: Hit; width: number } | undefined;
  for (const s of segments) {
    if (lanes.get(s.labelId) !== lane) continue;
    const x0 = frameToX(v, s.startFrame);
    const x1 = frameToX(v, s.endFrame);
    if (x < x0 - EDGE_GRAB_PX || x > x1 + EDGE_GRAB_PX) continue;
    const width = x1 - x0;
    let mode: DragMode = 'move';
    if (width >= EDGE_GRAB_PX * 3) {
      if (Math.abs(x - x0) <= EDGE_GRAB_PX) mode = 'resize-start';
      else if (Math.abs(x - x1) <= EDGE_GRAB_PX) mode = 'resize-end';
    } else if (x < x0 || x > x1) continue;
    if (mode !== 'move') return { key: s.key, mode };
    if (!best || width < best.width) best = { hit: { key: s.key, mode }, width };
  }
  return best?.hit;
}

/** The lane a y coordinate points at, or undefined above the lanes. */
export const laneAt = (y: number, laneCount: number): number | undefined => {
  const lane = Math.floor((y - RULER_PX) / LANE_PX);
  return lane >= 0 && lane < laneCount ? lane : undefined;
};

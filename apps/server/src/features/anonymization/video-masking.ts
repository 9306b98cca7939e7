import type { FrameRange } from '../../adapters/ffmpeg/index.js';
import { Invalid } from '../../shared/errors.js';
import type { Rect } from '../knowledge-base/index.js';
import { rectInsideFrame, type ProcessorGeometry } from './processor-geometry.js';

/**
 * `safe`: only the processor-agnostic mask (black outside the endoscope image).
 * `processor_region`: additionally black out the overlay rectangles of a preset, or a
 * custom rectangle (which may lie inside the image, e.g. a burned-in label).
 * `detector_assisted`: additionally black out the regions a PHI detector found (filled in by
 * the scan before planning; planning without them is refused).
 */
export type MaskStrategy =
  | { readonly kind: 'safe' }
  | { readonly kind: 'processor_region'; readonly customRects?: readonly Rect[] }
  | { readonly kind: 'detector_assisted'; readonly regions?: readonly Rect[] };

/**
 * Frames to drop: chosen by the PHI detector (`automatic`; `frames` filled in by its scan) or
 * typed by a user (`10,25,30-35`).
 */
export type FrameRemoval = { readonly mode: 'automatic'; readonly frames?: readonly number[] } | { readonly mode: 'manual'; readonly spec: string };

export interface MaskPlan {
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** Kept picture; everything outside is black. */
  readonly keepRect: Rect;
  readonly keepRectSource: 'preset' | 'detected';
  readonly blackRects: readonly Rect[];
  readonly removeFrames: readonly FrameRange[];
  readonly removedFrameCount: number;
  readonly remainingFrameCount: number;
}

export interface PlanInput {
  readonly frameWidth: number;
  readonly frameHeight: number;
  readonly frameCount: number;
  /** The processor layout fitted to the video, when one fits. */
  readonly geometry?: ProcessorGeometry;
  /** The detected image rectangle; required when no geometry fits. */
  readonly detectedImage?: Rect;
  readonly strategy: MaskStrategy;
  readonly removal?: FrameRemoval;
}

const MAX_LIST_ENTRIES = 10_000;

/** Sorted, merged inclusive ranges. */
export function mergeFrameRanges(ranges: readonly FrameRange[]): FrameRange[] {
  const sorted = [...ranges].sort((a, b) => a.startFrame - b.startFrame);
  const merged: FrameRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.startFrame <= last.endFrame + 1) merged[merged.length - 1] = { startFrame: last.startFrame, endFrame: Math.max(last.endFrame, r.endFrame) };
    else merged.push({ ...r });
  }
  return merged;
}

/**
 * Parses a manual frame list such as `10,25,30-35` (frame numbers from 0, inclusive ranges,
 * spaces allowed) against a video with `frameCount` frames. Anything malformed or out of
 * range is refused with a message naming the offending entry.
 */
export function parseFrameList(spec: string, frameCount: number): FrameRange[] {
  const entries = spec.split(',').map((e) => e.trim());
  if (spec.trim() === '' || entries.length === 0) throw new Invalid('Die Bildliste ist leer.');
  if (entries.length > MAX_LIST_ENTRIES) throw new Invalid(`Die Bildliste hat mehr als ${MAX_LIST_ENTRIES} Einträge.`);
  const ranges: FrameRange[] = [];
  for (const entry of entries) {
    const match = /^(\d{1,9})(?:\s*-\s*(\d{1,9}))?$/.exec(entry);
    if (!match) throw new Invalid(`Ungültiger Eintrag „${entry.slice(0, 20)}“ in der Bildliste (erwartet z. B. 10,25,30-35).`);
    const startFrame = Number(match[1]);
    const endFrame = match[2] === undefined ? startFrame : Number(match[2]);
    if (endFrame < startFrame) throw new Invalid(`Im Bereich „${entry}“ ist das Ende kleiner als der Anfang.`);
    if (endFrame >= frameCount) throw new Invalid(`Bild ${endFrame} liegt außerhalb des Videos (Bilder 0–${frameCount - 1}).`);
    ranges.push({ startFrame, endFrame });
  }
  return mergeFrameRanges(ranges);
}

function rangesFromFrames(frames: readonly number[], frameCount: number): FrameRange[] {
  for (const f of frames) {
    if (!Number.isInteger(f) || f < 0 || f >= frameCount) throw new Invalid(`Bild ${f} liegt außerhalb des Videos (Bilder 0–${frameCount - 1}).`);
  }
  return mergeFrameRanges(frames.map((f) => ({ startFrame: f, endFrame: f })));
}

function overlayRects(geometry: ProcessorGeometry): Rect[] {
  return Object.values(geometry.overlayRois).filter((r): r is Rect => r !== undefined);
}

function requireDetectorFrames(frames: readonly number[] | undefined): readonly number[] {
  if (!frames) throw new Invalid('Die vom PHI-Detektor gewählten Bilder fehlen; das Video wird nicht verarbeitet.');
  return frames;
}

/**
 * Decides what the masked video keeps. The endoscope image comes from the fitted preset, or
 * else from per-video detection; with neither the plan is refused (fail closed). Overlay
 * rectangles are always included for `processor_region` and harmless for `safe`: they lie
 * outside the kept image on a correctly configured preset.
 */
export function planVideoMask(input: PlanInput): MaskPlan {
  const { frameWidth, frameHeight, frameCount } = input;
  const keepRect = input.geometry?.endoscopeImage ?? input.detectedImage;
  if (!keepRect) {
    throw new Invalid('Für diese Videoauflösung passt kein Prozessor-Preset und der Bildbereich wurde nicht erkannt; das Video wird nicht verarbeitet.');
  }
  if (!rectInsideFrame(keepRect, frameWidth, frameHeight)) throw new Invalid('Der Endoskop-Bildbereich liegt außerhalb des Videobildes.');
  const blackRects: Rect[] = [];
  if (input.strategy.kind === 'processor_region') {
    const custom = input.strategy.customRects ?? [];
    for (const rect of custom) {
      if (!rectInsideFrame(rect, frameWidth, frameHeight)) {
        throw new Invalid(`Der Maskenbereich x=${rect.x} y=${rect.y} b=${rect.width} h=${rect.height} liegt nicht vollständig im Videobild (${frameWidth}×${frameHeight}).`);
      }
      blackRects.push(rect);
    }
    if (custom.length === 0) {
      if (!input.geometry) throw new Invalid('Für die Maskierung der Einblendungen ist ein passendes Prozessor-Preset oder ein eigener Bereich nötig.');
      blackRects.push(...overlayRects(input.geometry));
    }
  }
  if (input.strategy.kind === 'detector_assisted') {
    if (!input.strategy.regions) throw new Invalid('Die Bereiche des PHI-Detektors fehlen; das Video wird nicht verarbeitet.');
    for (const rect of input.strategy.regions) {
      if (!rectInsideFrame(rect, frameWidth, frameHeight)) throw new Invalid('Ein vom PHI-Detektor gefundener Bereich liegt außerhalb des Videobildes.');
      blackRects.push(rect);
    }
    // The preset's overlay stays masked too: the detector adds to the static mask, never replaces it.
    if (input.geometry) blackRects.push(...overlayRects(input.geometry));
  }
  const removeFrames = !input.removal
    ? []
    : input.removal.mode === 'manual'
      ? parseFrameList(input.removal.spec, frameCount)
      : rangesFromFrames(requireDetectorFrames(input.removal.frames), frameCount);
  const removedFrameCount = removeFrames.reduce((n, r) => n + r.endFrame - r.startFrame + 1, 0);
  if (removedFrameCount >= frameCount) throw new Invalid('Es würden alle Bilder des Videos entfernt.');
  return {
    frameWidth,
    frameHeight,
    keepRect,
    keepRectSource: input.geometry ? 'preset' : 'detected',
    blackRects,
    removeFrames,
    removedFrameCount,
    remainingFrameCount: frameCount - removedFrameCount,
  };
}

import { MediaInputError, type FrameIndex } from '../../adapters/ffmpeg/index.js';
import { Invalid } from '../../shared/errors.js';

/**
 * Segment bounds in frames: `startFrame` inclusive, `endFrame` exclusive (the original selects a
 * segment's frames with `frame_number >= start AND frame_number < end`). Every conversion between
 * a segment's seconds and frames goes through here, on the video's exact decoded frame index.
 */
export interface FrameBounds {
  readonly startFrame: number;
  readonly endFrame: number;
}

/** What a client may send: frame numbers win over times when both are given. */
export interface BoundsInput {
  readonly start_frame_number?: number;
  readonly end_frame_number?: number;
  readonly start_time?: number;
  readonly end_time?: number;
}

function hasBounds(input: BoundsInput): boolean {
  return input.start_frame_number !== undefined || input.end_frame_number !== undefined || input.start_time !== undefined || input.end_time !== undefined;
}

function inVideo<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof MediaInputError) throw new Invalid(error.message);
    throw error;
  }
}

/** Media seconds at which a segment starts. */
export function startSeconds(index: FrameIndex, startFrame: number): number {
  return inVideo(() => index.secondsOf(startFrame));
}

/** Media seconds at which a segment ends (the start of its exclusive end frame, or the video's end). */
export function endSeconds(index: FrameIndex, endFrame: number): number {
  return endFrame >= index.frameCount ? index.durationSeconds : inVideo(() => index.secondsOf(endFrame));
}

/** The frame a typed end time snaps to: the nearest frame start, or the end of the video. */
function endFrameAt(index: FrameIndex, seconds: number): number {
  if (seconds > index.durationSeconds + 1e-3) throw new Invalid(`Zeitpunkt ${seconds} s liegt außerhalb des Videos (0–${index.durationSeconds.toFixed(3)} s).`);
  const lastStart = index.secondsOf(index.frameCount - 1);
  if (seconds > lastStart && index.durationSeconds - seconds < seconds - lastStart) return index.frameCount;
  return inVideo(() => index.nearestFrame(seconds));
}

/**
 * Frame bounds from a request: frames as given, or times snapped to the nearest frame start.
 * Missing sides keep `current` (for updates). Refuses ranges outside the video or empty ones.
 */
export function resolveBounds(index: FrameIndex, input: BoundsInput, current?: FrameBounds): FrameBounds {
  if (!current && !hasBounds(input)) throw new Invalid('Anfang und Ende des Segments fehlen.');
  let startFrame = current?.startFrame;
  let endFrame = current?.endFrame;
  if (input.start_frame_number !== undefined) startFrame = input.start_frame_number;
  else if (input.start_time !== undefined) startFrame = inVideo(() => index.nearestFrame(input.start_time!));
  if (input.end_frame_number !== undefined) endFrame = input.end_frame_number;
  else if (input.end_time !== undefined) endFrame = endFrameAt(index, input.end_time);
  if (startFrame === undefined || endFrame === undefined) throw new Invalid('Anfang und Ende des Segments müssen angegeben werden (Bildnummer oder Zeit).');
  if (!Number.isInteger(startFrame) || startFrame < 0 || startFrame >= index.frameCount) {
    throw new Invalid(`Der Segmentanfang (Bild ${startFrame}) liegt außerhalb des Videos (Bilder 0–${index.frameCount - 1}).`);
  }
  if (!Number.isInteger(endFrame) || endFrame > index.frameCount) {
    throw new Invalid(`Das Segmentende (Bild ${endFrame}) liegt außerhalb des Videos (höchstens ${index.frameCount}).`);
  }
  if (endFrame <= startFrame) throw new Invalid('Das Segmentende muss nach dem Segmentanfang liegen.');
  return { startFrame, endFrame };
}

export function segmentSeconds(index: FrameIndex, bounds: FrameBounds): { startTime: number; endTime: number; durationSeconds: number } {
  const startTime = startSeconds(index, bounds.startFrame);
  const endTime = endSeconds(index, bounds.endFrame);
  return { startTime, endTime, durationSeconds: endTime - startTime };
}

/** Refuses a manual segment shorter than the configured minimum (half a frame of tolerance). */
export function assertMinimumDuration(index: FrameIndex, bounds: FrameBounds, minSeconds: number): void {
  const { durationSeconds } = segmentSeconds(index, bounds);
  if (durationSeconds + index.typicalFrameSeconds / 2 < minSeconds) {
    throw new Invalid(`Das Segment ist ${durationSeconds.toFixed(2)} s lang; die Mindestdauer beträgt ${minSeconds} s.`);
  }
}

/** Inclusive frame ranges of exclusive-end bounds, sorted and merged (for ffmpeg's `between(n,a,b)`). */
export function inclusiveRanges(bounds: readonly FrameBounds[]): { startFrame: number; endFrame: number }[] {
  const sorted = [...bounds].sort((a, b) => a.startFrame - b.startFrame);
  const merged: { startFrame: number; endFrame: number }[] = [];
  for (const b of sorted) {
    const last = merged[merged.length - 1];
    if (last && b.startFrame <= last.endFrame + 1) last.endFrame = Math.max(last.endFrame, b.endFrame - 1);
    else merged.push({ startFrame: b.startFrame, endFrame: b.endFrame - 1 });
  }
  return merged;
}

import { MediaInputError } from './errors.js';

/** A stream time base: one tick is `num / den` seconds. */
export interface TimeBase {
  readonly num: number;
  readonly den: number;
}

/** The serialisable form of a frame index (stored beside a video, handed to the player). */
export interface FrameIndexData {
  readonly timeBase: TimeBase;
  /** Presentation timestamp of each frame in ticks, in frame-number order. */
  readonly pts: readonly number[];
}

/**
 * The ONE place where frame numbers and seconds convert into each other.
 *
 * Frame N is the N-th frame (from 0) the decoder presents, which is what ffmpeg's `n`
 * counts in filters; its time is its decoded presentation timestamp. Seconds are media
 * seconds from the first frame (what a player's currentTime shows for a video starting at
 * 0); `ptsSecondsOf` gives the stream's own clock, which can start anywhere. Variable frame
 * rates need no special case: nothing here assumes a constant frame interval.
 */
export class FrameIndex {
  readonly timeBase: TimeBase;
  readonly #pts: readonly number[];
  readonly #toleranceSeconds: number;
  /** Median frame interval (1/25 s when there is only one frame and nothing to measure). */
  readonly typicalFrameSeconds: number;

  private constructor(timeBase: TimeBase, pts: readonly number[]) {
    this.timeBase = timeBase;
    this.#pts = pts;
    const intervals: number[] = [];
    for (let i = 1; i < pts.length; i += 1) intervals.push(pts[i]! - pts[i - 1]!);
    intervals.sort((a, b) => a - b);
    const minInterval = intervals.length > 0 ? this.#ticksToSeconds(intervals[0]!) : 1 / 25;
    this.typicalFrameSeconds = intervals.length > 0 ? this.#ticksToSeconds(intervals[Math.floor(intervals.length / 2)]!) : 1 / 25;
    // Players report float times; a hair below a frame's start still means that frame.
    this.#toleranceSeconds = Math.min(1e-4, minInterval / 4);
  }

  /** Validates timestamps (finite integers, strictly increasing) and builds the index. */
  static fromPts(pts: readonly number[], timeBase: TimeBase): FrameIndex {
    if (!(timeBase.num > 0 && timeBase.den > 0)) throw new RangeError(`invalid time base ${timeBase.num}/${timeBase.den}`);
    if (pts.length === 0) throw new MediaInputError('no_video', 'Das Video enthält keine dekodierbaren Bilder.');
    for (let i = 0; i < pts.length; i += 1) {
      const value = pts[i]!;
      if (!Number.isSafeInteger(value)) throw new MediaInputError('timestamps', `Bild ${i} hat keinen gültigen Zeitstempel.`);
      if (i > 0 && value <= pts[i - 1]!) {
        throw new MediaInputError('timestamps', `Die Zeitstempel des Videos sind nicht streng aufsteigend (Bild ${i}); die Bildnummerierung wäre mehrdeutig.`);
      }
    }
    return new FrameIndex({ num: timeBase.num, den: timeBase.den }, [...pts]);
  }

  static fromData(data: FrameIndexData): FrameIndex {
    return FrameIndex.fromPts(data.pts, data.timeBase);
  }

  toData(): FrameIndexData {
    return { timeBase: this.timeBase, pts: [...this.#pts] };
  }

  get frameCount(): number {
    return this.#pts.length;
  }

  /** The stream clock time of frame 0 (non-zero for many recorder files). */
  get startPtsSeconds(): number {
    return this.#ticksToSeconds(this.#pts[0]!);
  }

  /** Time the last frame is shown until: its start plus the typical frame interval. */
  get durationSeconds(): number {
    return this.secondsOf(this.frameCount - 1) + this.typicalFrameSeconds;
  }

  /** Mean frames per second over the whole video. */
  get averageFps(): number {
    return this.frameCount / this.durationSeconds;
  }

  /** Throws unless `frame` is an existing frame number. */
  assertFrame(frame: number): void {
    if (!Number.isInteger(frame) || frame < 0 || frame >= this.frameCount) {
      throw new MediaInputError('frame_range', `Bildnummer ${frame} liegt außerhalb des Videos (0–${this.frameCount - 1}).`);
    }
  }

  /** Presentation timestamp of a frame in stream ticks. */
  ptsOf(frame: number): number {
    this.assertFrame(frame);
    return this.#pts[frame]!;
  }

  /** Stream clock seconds of a frame. */
  ptsSecondsOf(frame: number): number {
    return this.#ticksToSeconds(this.ptsOf(frame));
  }

  /** Media seconds (from the first frame) at which a frame starts. */
  secondsOf(frame: number): number {
    return this.#ticksToSeconds(this.ptsOf(frame) - this.#pts[0]!);
  }

  /** The frame shown at a media time; times past the end belong to the last frame up to `durationSeconds`. */
  frameAt(seconds: number): number {
    if (!Number.isFinite(seconds) || seconds < -this.#toleranceSeconds || seconds > this.durationSeconds + this.#toleranceSeconds) {
      throw new MediaInputError('frame_range', `Zeitpunkt ${seconds} s liegt außerhalb des Videos (0–${this.durationSeconds.toFixed(3)} s).`);
    }
    const target = seconds + this.#toleranceSeconds;
    let lo = 0;
    let hi = this.frameCount - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.secondsOf(mid) <= target) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The frame whose start is closest to a media time (for snapping a typed time to a frame). */
  nearestFrame(seconds: number): number {
    const at = this.frameAt(Math.max(0, Math.min(seconds, this.durationSeconds)));
    if (at + 1 < this.frameCount && Math.abs(this.secondsOf(at + 1) - seconds) < Math.abs(seconds - this.secondsOf(at))) return at + 1;
    return at;
  }

  #ticksToSeconds(ticks: number): number {
    return (ticks * this.timeBase.num) / this.timeBase.den;
  }
}

/**
 * Up to `count` frame numbers spread evenly over a video, each from the middle of its slice
 * (so neither the black first frame nor a fade-out at the end dominates the sample).
 */
export function sampleFrameNumbers(frameCount: number, count: number): number[] {
  if (!Number.isInteger(frameCount) || frameCount < 0) throw new RangeError(`invalid frame count ${frameCount}`);
  const n = Math.max(0, Math.min(Math.floor(count), frameCount));
  const frames = new Set<number>();
  for (let i = 0; i < n; i += 1) frames.add(Math.min(frameCount - 1, Math.floor(((i + 0.5) * frameCount) / n)));
  return [...frames].sort((a, b) => a - b);
}

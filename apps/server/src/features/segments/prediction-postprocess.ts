/** The original's post-processing: probabilities smoothed over one second, thresholded at 0.5. */
export const SMOOTHING_WINDOW_SECONDS = 1;
export const PREDICTION_THRESHOLD = 0.5;

/** Every n-th frame is classified: `samplesPerSecond` per video second, 0 = every frame. */
export function frameStride(frameSeconds: number, samplesPerSecond: number): number {
  if (samplesPerSecond <= 0) return 1;
  return Math.max(1, Math.round(1 / (samplesPerSecond * frameSeconds)));
}

/** Frame numbers classified with the given stride (always including frame 0). */
export function sampledFrameNumbers(frameCount: number, stride: number): number[] {
  const frames: number[] = [];
  for (let f = 0; f < frameCount; f += stride) frames.push(f);
  return frames;
}

/** Samples in one smoothing window (at least 1). */
export function windowSamples(frameSeconds: number, stride: number, windowSeconds = SMOOTHING_WINDOW_SECONDS): number {
  return Math.max(1, Math.round(windowSeconds / (frameSeconds * stride)));
}

/** Centred moving average of each label's probability over `window` samples (shorter at the ends). */
export function smoothProbabilities(rows: readonly Float32Array[], window: number): Float32Array[] {
  if (rows.length === 0) return [];
  const labels = rows[0]!.length;
  const before = Math.floor((window - 1) / 2);
  const after = window - 1 - before;
  const out = rows.map(() => new Float32Array(labels));
  for (let j = 0; j < labels; j += 1) {
    const prefix = new Float64Array(rows.length + 1);
    for (let i = 0; i < rows.length; i += 1) prefix[i + 1] = prefix[i]! + rows[i]![j]!;
    for (let i = 0; i < rows.length; i += 1) {
      const lo = Math.max(0, i - before);
      const hi = Math.min(rows.length - 1, i + after);
      out[i]![j] = (prefix[hi + 1]! - prefix[lo]!) / (hi - lo + 1);
    }
  }
  return out;
}

/** A predicted segment: frames `startFrame` (inclusive) to `endFrame` (exclusive). */
export interface PredictedRun {
  readonly label: string;
  readonly startFrame: number;
  readonly endFrame: number;
}

/**
 * Consecutive samples at or above the threshold become one run per label. Sample i stands for
 * the frames from its own number up to the next sample's (the last one up to the video's end).
 */
export function predictionRuns(sampledFrames: readonly number[], smoothed: readonly Float32Array[], labels: readonly string[], frameCount: number, threshold = PREDICTION_THRESHOLD): PredictedRun[] {
  const runs: PredictedRun[] = [];
  const frameAfter = (i: number): number => (i + 1 < sampledFrames.length ? sampledFrames[i + 1]! : frameCount);
  labels.forEach((label, j) => {
    let start: number | undefined;
    for (let i = 0; i < sampledFrames.length; i += 1) {
      const on = smoothed[i]![j]! >= threshold;
      if (on && start === undefined) start = i;
      if (start !== undefined && (!on || i === sampledFrames.length - 1)) {
        const last = on ? i : i - 1;
        runs.push({ label, startFrame: sampledFrames[start]!, endFrame: frameAfter(last) });
        start = undefined;
      }
    }
  });
  return runs.sort((a, b) => a.startFrame - b.startFrame || a.label.localeCompare(b.label));
}

/** Per-label probability summary of a run (stored with VideoPredictionMeta). */
export function summarizeProbabilities(rows: readonly Float32Array[], smoothed: readonly Float32Array[], labels: readonly string[], threshold = PREDICTION_THRESHOLD) {
  const summary: Record<string, { mean: number; max: number; positive_fraction: number }> = {};
  labels.forEach((label, j) => {
    let sum = 0;
    let max = 0;
    let positive = 0;
    rows.forEach((row, i) => {
      sum += row[j]!;
      max = Math.max(max, row[j]!);
      if (smoothed[i]![j]! >= threshold) positive += 1;
    });
    const n = Math.max(1, rows.length);
    summary[label] = { mean: round(sum / n), max: round(max), positive_fraction: round(positive / n) };
  });
  return summary;
}

const round = (v: number): number => Math.round(v * 1e4) / 1e4;

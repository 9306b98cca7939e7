import { streamSampledRgbFrames, type FrameIndex, type MediaTools } from '../../adapters/ffmpeg/index.js';
import type { OnnxPhiDetector } from '../../adapters/onnx/index.js';
import type { Rect } from '../knowledge-base/index.js';
import { maxScoreInside, mergeRects, regionsOfHeatmap } from './phi-regions.js';

/** German refusal of `detector_assisted` and automatic frame removal while no PHI detector model is configured. */
export const NO_PHI_DETECTOR = 'Strategie nicht verfügbar: kein PHI-Detektor konfiguriert. Bitte „processor_region“ (Prozessor-Preset oder eigener Bereich) oder eine manuelle Bildliste verwenden.';

/** Frames a masking-only scan looks at (spread evenly over the video). */
export const PHI_SAMPLE_FRAMES = 64;

/** A loaded detector and the ModelMeta it came from (recorded in the processing history). */
export interface PhiDetectorRun {
  readonly detector: OnnxPhiDetector;
  readonly model: { readonly id: number; readonly name: string; readonly version: number };
  /** Cells at or above it are identifying text; frames scoring above it inside the image are removed. */
  readonly threshold: number;
}

export interface PhiScanOptions {
  readonly path: string;
  readonly frameIndex: FrameIndex;
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** The endoscope image: only cells inside it decide frame removal. */
  readonly imageRect: Rect;
  /** Frame removal needs a verdict on every frame; masking alone samples. */
  readonly everyFrame: boolean;
  readonly signal?: AbortSignal;
}

export interface PhiScan {
  /** Union over all scanned frames, in frame pixels, merged. */
  readonly regions: readonly Rect[];
  /** Exact frame numbers whose score inside the image exceeds the threshold. */
  readonly flaggedFrames: readonly number[];
  readonly scannedFrames: number;
  readonly stride: number;
}

/**
 * Runs the detector over the video in one decoding pass (ffmpeg's frame counter = the exact
 * frame index). Conservative by design: a region found in any scanned frame is returned for
 * masking every frame.
 */
export async function scanVideoForPhi(tools: MediaTools, run: PhiDetectorRun, options: PhiScanOptions): Promise<PhiScan> {
  const { spec } = run.detector;
  const frameCount = options.frameIndex.frameCount;
  const stride = options.everyFrame ? 1 : Math.max(1, Math.floor(frameCount / PHI_SAMPLE_FRAMES));
  const frame = { frameWidth: options.frameWidth, frameHeight: options.frameHeight };
  const regions: Rect[] = [];
  const flaggedFrames: number[] = [];
  let paddingPx: number | undefined;
  const scannedFrames = await streamSampledRgbFrames(
    tools,
    { path: options.path, frameIndex: options.frameIndex, stride, width: spec.inputWidth, height: spec.inputHeight, batchSize: spec.batchSize, signal: options.signal },
    async (frameNumbers, pixels) => {
      const maps = await run.detector.heatmaps(pixels);
      maps.forEach((map, i) => {
        // A quarter of a cell on each side: text rarely stops exactly at a cell edge.
        paddingPx ??= Math.max(2, Math.round(Math.min(options.frameWidth / map.gridWidth, options.frameHeight / map.gridHeight) / 4));
        regions.push(...regionsOfHeatmap(map, { ...frame, threshold: run.threshold, paddingPx }));
        if (maxScoreInside(map, options.imageRect, frame) > run.threshold) flaggedFrames.push(frameNumbers[i]!);
      });
      // Keep memory bounded on long videos: regions repeat from frame to frame.
      if (regions.length > 256) regions.splice(0, regions.length, ...mergeRects(regions));
    },
  );
  return { regions: mergeRects(regions), flaggedFrames, scannedFrames, stride };
}

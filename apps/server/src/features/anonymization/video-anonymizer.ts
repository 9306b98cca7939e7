import { rm } from 'node:fs/promises';
import {
  probeVideo,
  readGrayFrames,
  renderMaskedVideo,
  sampleFrameNumbers,
  type FrameIndex,
  type MediaTools,
  type VideoProbe,
} from '../../adapters/ffmpeg/index.js';
import { Invalid } from '../../shared/errors.js';
import { detectFieldOfView, FieldOfViewUnsure, type DetectedFieldOfView } from './field-of-view.js';
import { NO_PHI_DETECTOR, scanVideoForPhi, type PhiDetectorRun, type PhiScan } from './phi-detection.js';
import { fitGeometryToVideo, type ProcessorGeometry } from './processor-geometry.js';
import { planVideoMask, type FrameRemoval, type MaskPlan, type MaskStrategy } from './video-masking.js';

/** Frames sampled for field-of-view detection, and the width they are analysed at. */
const FOV_SAMPLE_FRAMES = 16;
const FOV_SAMPLE_WIDTH = 480;

/** Samples frames at low resolution and finds the endoscope image (throws Invalid when unsure). */
export async function detectVideoFieldOfView(
  tools: MediaTools,
  video: { path: string; frameIndex: FrameIndex; width: number; height: number; signal?: AbortSignal },
): Promise<DetectedFieldOfView> {
  const width = Math.min(video.width, FOV_SAMPLE_WIDTH);
  const height = Math.max(2, Math.round((video.height * width) / video.width));
  const frameNumbers = sampleFrameNumbers(video.frameIndex.frameCount, FOV_SAMPLE_FRAMES);
  const frames = await readGrayFrames(tools, { path: video.path, frameNumbers, frameIndex: video.frameIndex, width, height, signal: video.signal });
  try {
    return detectFieldOfView({ width, height, frames: [...frames.values()], frameWidth: video.width, frameHeight: video.height });
  } catch (error) {
    if (error instanceof FieldOfViewUnsure) {
      throw new Invalid(`Der Endoskop-Bildbereich ist nicht sicher erkennbar (${error.message}); bitte ein Prozessor-Preset oder einen eigenen Bereich wählen.`);
    }
    throw error;
  }
}

export interface MaskVideoOptions {
  readonly inputPath: string;
  readonly outputPath: string;
  /** Probe of the input (reused: it holds the frame index). */
  readonly probe: VideoProbe;
  /** The processor preset named for this video, if any (fitted to the video size here). */
  readonly geometry?: ProcessorGeometry;
  readonly strategy: MaskStrategy;
  readonly removal?: FrameRemoval;
  /** Needed by `detector_assisted` and automatic frame removal (refused without it). */
  readonly phi?: PhiDetectorRun;
  readonly keepAudio?: boolean;
  readonly encoderPreset?: string;
  readonly signal?: AbortSignal;
}

export interface MaskVideoResult {
  readonly plan: MaskPlan;
  readonly detected?: DetectedFieldOfView;
  /** The detector's scan, when the strategy or the removal needed one. */
  readonly phiScan?: PhiScan;
  readonly output: VideoProbe;
  readonly durationSeconds: number;
}

/**
 * Produces the anonymized video: the safe mask (black outside the endoscope image, from the
 * fitted preset or detected per video), overlay rectangles for `processor_region`, frame
 * removal, and no metadata. The output is probed afterwards and must hold exactly the
 * planned frames; otherwise it is deleted and the call fails rather than hand on a wrong file.
 */
export async function maskVideo(tools: MediaTools, options: MaskVideoOptions): Promise<MaskVideoResult> {
  const { probe } = options;
  const geometry = options.geometry ? fitGeometryToVideo(options.geometry, probe.width, probe.height) : undefined;
  const detected = geometry
    ? undefined
    : await detectVideoFieldOfView(tools, { path: options.inputPath, frameIndex: probe.frameIndex, width: probe.width, height: probe.height, signal: options.signal });
  let { strategy, removal } = options;
  const imageRect = geometry?.endoscopeImage ?? detected?.rect;
  let phiScan: PhiScan | undefined;
  const automaticRemoval = removal?.mode === 'automatic' && removal.frames === undefined;
  if (imageRect && ((strategy.kind === 'detector_assisted' && strategy.regions === undefined) || automaticRemoval)) {
    if (!options.phi) throw new Invalid(NO_PHI_DETECTOR);
    phiScan = await scanVideoForPhi(tools, options.phi, { path: options.inputPath, frameIndex: probe.frameIndex, frameWidth: probe.width, frameHeight: probe.height, imageRect, everyFrame: automaticRemoval, signal: options.signal });
    if (strategy.kind === 'detector_assisted') strategy = { kind: 'detector_assisted', regions: phiScan.regions };
    if (automaticRemoval) removal = { mode: 'automatic', frames: phiScan.flaggedFrames };
  }
  const plan = planVideoMask({
    frameWidth: probe.width,
    frameHeight: probe.height,
    frameCount: probe.frameCount,
    geometry,
    detectedImage: detected?.rect,
    strategy,
    removal,
  });
  const { durationSeconds } = await renderMaskedVideo(tools, {
    input: options.inputPath,
    output: options.outputPath,
    spec: { frameWidth: plan.frameWidth, frameHeight: plan.frameHeight, keepRect: plan.keepRect, blackRects: plan.blackRects, removeFrames: plan.removeFrames },
    keepAudio: options.keepAudio,
    preset: options.encoderPreset,
    signal: options.signal,
  });
  const output = await probeVideo(tools, options.outputPath);
  if (output.frameCount !== plan.remainingFrameCount) {
    await rm(options.outputPath, { force: true });
    throw new Invalid(`Das maskierte Video hat ${output.frameCount} statt ${plan.remainingFrameCount} Bilder; das Ergebnis wird verworfen.`);
  }
  return { plan, detected, phiScan, output, durationSeconds };
}

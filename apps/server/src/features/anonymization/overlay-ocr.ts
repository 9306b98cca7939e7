import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { readGrayFrames, sampleFrameNumbers, type FrameIndex, type MediaTools } from '../../adapters/ffmpeg/index.js';
import type { TesseractOcr } from '../../adapters/ocr/index.js';
import { Invalid } from '../../shared/errors.js';
import { OVERLAY_FIELDS, type OverlayField, type Rect } from '../knowledge-base/index.js';
import { parseOverlayField } from './overlay-fields.js';
import { rectInsideFrame, type ProcessorGeometry } from './processor-geometry.js';
import { voteOverlayFields, type FieldReading, type OverlayCandidates } from './overlay-vote.js';

/** The original samples about this many frames for overlay OCR. */
export const OVERLAY_SAMPLE_FRAMES = 24;
/**
 * Crops lower than this are upscaled to it: tesseract misreads glyphs under ~20 px. Larger
 * crops are left alone; upscaling them measurably hurt accuracy (1958 read as 1953).
 */
const MIN_CROP_HEIGHT = 40;
const CROP_PADDING = 12;

export interface OverlayOcrDeps {
  readonly tools: MediaTools;
  readonly ocr: TesseractOcr;
}

export interface OverlayOcrOptions {
  readonly videoPath: string;
  readonly frameIndex: FrameIndex;
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** The processor layout, already fitted to the video's size. */
  readonly geometry: ProcessorGeometry;
  /** A protected directory; a private 0700 work directory is made inside and removed afterwards. */
  readonly tempRoot: string;
  readonly maxFrames?: number;
  readonly signal?: AbortSignal;
}

export interface OverlayOcrResult {
  readonly candidates: OverlayCandidates;
  readonly sampledFrames: readonly number[];
  readonly cropCount: number;
  readonly ocrSeconds: number;
}

/** Copies one rectangle out of an 8-bit gray frame (cheaper than letting sharp read the whole frame per crop). */
function cropGray(frame: Buffer, frameWidth: number, roi: Rect): { pixels: Buffer; mean: number } {
  const pixels = Buffer.allocUnsafe(roi.width * roi.height);
  let sum = 0;
  for (let y = 0; y < roi.height; y += 1) {
    const from = (roi.y + y) * frameWidth + roi.x;
    frame.copy(pixels, y * roi.width, from, from + roi.width);
  }
  for (let i = 0; i < pixels.length; i += 1) sum += pixels[i]!;
  return { pixels, mean: sum / pixels.length };
}

/** A crop as the OCR wants it: gray, dark text on light ground, big enough, with a margin. */
async function writeCrop(frame: Buffer, frameWidth: number, roi: Rect, path: string): Promise<void> {
  const { pixels, mean } = cropGray(frame, frameWidth, roi);
  const darkGround = mean < 128;
  let image = sharp(pixels, { raw: { width: roi.width, height: roi.height, channels: 1 } });
  if (roi.height < MIN_CROP_HEIGHT) image = image.resize({ height: MIN_CROP_HEIGHT, kernel: 'cubic' });
  // sharp negates after extending, so the margin takes the ground colour and ends up white either way.
  const ground = darkGround ? 0 : 255;
  image = image.extend({ top: CROP_PADDING, bottom: CROP_PADDING, left: CROP_PADDING, right: CROP_PADDING, background: { r: ground, g: ground, b: ground } });
  if (darkGround) image = image.negate({ alpha: false });
  await image.png({ compressionLevel: 1 }).toFile(path);
}

/**
 * Reads the patient overlay of a video: samples up to 24 frames spread over it, crops each
 * overlay rectangle of the processor layout, OCRs all crops in one pooled batch and votes
 * per field. Crops (images of patient data) exist only inside the private work directory
 * for the duration of the call.
 */
export async function readOverlayMetadata(deps: OverlayOcrDeps, options: OverlayOcrOptions): Promise<OverlayOcrResult> {
  const fields = OVERLAY_FIELDS.filter((f): f is OverlayField => options.geometry.overlayRois[f] !== undefined);
  for (const field of fields) {
    if (!rectInsideFrame(options.geometry.overlayRois[field]!, options.frameWidth, options.frameHeight)) {
      throw new Invalid(`Der Overlay-Bereich ${field} des Presets ${options.geometry.name} liegt außerhalb des Videobildes (${options.frameWidth}×${options.frameHeight}).`);
    }
  }
  const frames = sampleFrameNumbers(options.frameIndex.frameCount, options.maxFrames ?? OVERLAY_SAMPLE_FRAMES);
  if (fields.length === 0 || frames.length === 0) return { candidates: {}, sampledFrames: frames, cropCount: 0, ocrSeconds: 0 };

  await mkdir(options.tempRoot, { recursive: true, mode: 0o700 });
  const workDir = await mkdtemp(join(options.tempRoot, 'overlay-ocr-'));
  try {
    const pixels = await readGrayFrames(deps.tools, {
      path: options.videoPath,
      frameNumbers: frames,
      frameIndex: options.frameIndex,
      width: options.frameWidth,
      height: options.frameHeight,
      signal: options.signal,
    });
    const crops: { field: OverlayField; frame: number; path: string }[] = [];
    for (const frame of frames) {
      const data = pixels.get(frame)!;
      await Promise.all(
        fields.map(async (field) => {
          const path = join(workDir, `f${frame}-${field}.png`);
          await writeCrop(data, options.frameWidth, options.geometry.overlayRois[field]!, path);
          crops.push({ field, frame, path });
        }),
      );
    }
    const started = process.hrtime.bigint();
    const results = await deps.ocr.recognize(
      crops.map((c) => c.path),
      { layout: 'single_line', signal: options.signal },
    );
    const ocrSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const readings: FieldReading[] = crops.map((crop, i) => ({
      field: crop.field,
      frame: crop.frame,
      value: parseOverlayField(crop.field, results[i]!.text),
      ocrConfidence: results[i]!.confidence,
    }));
    return { candidates: voteOverlayFields(readings, frames.length), sampledFrames: frames, cropCount: crops.length, ocrSeconds };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

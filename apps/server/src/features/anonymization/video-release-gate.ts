import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { readGrayFrames, runTool, sampleFrameNumbers, type MediaTools, type VideoProbe } from '../../adapters/ffmpeg/index.js';
import type { TesseractOcr } from '../../adapters/ocr/index.js';
import type { Rect } from '../knowledge-base/index.js';
import { IdentifierMatcher, type KnownIdentifier } from './identifiers/index.js';
import { gateResult, searchSources, type GateSource, type ReleaseGateResult } from './release-gate.js';

/** Frames whose overlay regions are read by the gate, and frames read whole in sparse mode. */
export const GATE_OVERLAY_FRAMES = 24;
export const GATE_FULL_FRAMES = 4;
/** Full frames are OCRed at this width at most (tesseract time grows with the area). */
const FULL_FRAME_MAX_WIDTH = 1280;

export interface VideoGateOptions {
  readonly path: string;
  /** Probe of the processed output. */
  readonly probe: VideoProbe;
  readonly identifiers: readonly KnownIdentifier[];
  /** The overlay rectangles of the fitted preset (checked on a frame sample); may be empty. */
  readonly overlayRegions: readonly Rect[];
  readonly tempRoot: string;
  readonly signal?: AbortSignal;
}

/** ffprobe's view of container, streams and chapters: where titles and comments hide. */
async function containerText(tools: MediaTools, path: string): Promise<{ text: string; streams: string[]; chapters: number }> {
  const { stdout } = await runTool({
    tool: 'ffprobe',
    command: tools.ffprobe,
    args: ['-v', 'error', '-show_format', '-show_streams', '-show_chapters', '-show_programs', '-of', 'json', '-i', path],
    env: tools.baseEnv,
    totalTimeoutSeconds: Math.min(120, tools.totalTimeoutSeconds),
    idleTimeoutSeconds: Math.min(60, tools.idleTimeoutSeconds),
    captureStdout: true,
  });
  const text = stdout.toString('utf8');
  const parsed = JSON.parse(text || '{}') as { streams?: { codec_type?: string }[]; chapters?: unknown[] };
  return { text, streams: (parsed.streams ?? []).map((s) => s.codec_type ?? 'unknown'), chapters: (parsed.chapters ?? []).length };
}

function cropGray(frame: Buffer, frameWidth: number, roi: Rect): Buffer {
  const out = Buffer.allocUnsafe(roi.width * roi.height);
  for (let y = 0; y < roi.height; y += 1) frame.copy(out, y * roi.width, (roi.y + y) * frameWidth + roi.x, (roi.y + y) * frameWidth + roi.x + roi.width);
  return out;
}

/** Dark overlays read best inverted; a blacked-out crop stays empty either way. */
async function writeGray(pixels: Buffer, width: number, height: number, path: string): Promise<void> {
  let sum = 0;
  for (let i = 0; i < pixels.length; i += 1) sum += pixels[i]!;
  let image = sharp(pixels, { raw: { width, height, channels: 1 } });
  if (sum / pixels.length < 128) image = image.negate({ alpha: false });
  await image.png({ compressionLevel: 1 }).toFile(path);
}

/**
 * The video release gate: the processed file's container, stream and chapter metadata, OCR
 * of the overlay regions on a frame sample, and sparse OCR of whole frames at a few points
 * (a name burned into the endoscope image) are searched for every identifier known from
 * SensitiveMeta, exactly and fuzzily. Any stream besides the one video stream, or chapters,
 * block on their own. Work files (crops are images of patient data) live only in a private
 * directory for the duration of the call.
 */
export async function runVideoReleaseGate(tools: MediaTools, ocr: TesseractOcr, options: VideoGateOptions): Promise<ReleaseGateResult> {
  const startedAt = Date.now();
  const matcher = new IdentifierMatcher(options.identifiers);
  const sources: GateSource[] = [];
  const structuralReasons: string[] = [];
  const container = await containerText(tools, options.path);
  sources.push({ location: 'container-metadata', label: 'Container- und Stream-Metadaten', text: container.text });
  const extra = container.streams.filter((s) => s !== 'video');
  if (extra.length > 0 || container.streams.length !== 1) structuralReasons.push(`Die Ausgabe enthält außer dem Videostrom weitere Ströme (${extra.join(', ') || 'keinen Videostrom'}).`);
  if (container.chapters > 0) structuralReasons.push('Die Ausgabe enthält Kapitelmarken.');

  const { probe } = options;
  await mkdir(options.tempRoot, { recursive: true, mode: 0o700 });
  const workDir = await mkdtemp(join(options.tempRoot, 'video-gate-'));
  try {
    const overlayFrames = options.overlayRegions.length > 0 ? sampleFrameNumbers(probe.frameCount, GATE_OVERLAY_FRAMES) : [];
    const fullFrames = sampleFrameNumbers(probe.frameCount, GATE_FULL_FRAMES);
    const frames = [...new Set([...overlayFrames, ...fullFrames])].sort((a, b) => a - b);
    const pixels = await readGrayFrames(tools, { path: options.path, frameNumbers: frames, frameIndex: probe.frameIndex, width: probe.width, height: probe.height, signal: options.signal });
    const crops: { path: string; frame: number; kind: 'overlay' | 'full' }[] = [];
    for (const frame of overlayFrames) {
      const data = pixels.get(frame)!;
      for (const [i, roi] of options.overlayRegions.entries()) {
        const path = join(workDir, `o${frame}-${i}.png`);
        await writeGray(cropGray(data, probe.width, roi), roi.width, roi.height, path);
        crops.push({ path, frame, kind: 'overlay' });
      }
    }
    const fullCrops: { path: string; frame: number; kind: 'full' }[] = [];
    for (const frame of fullFrames) {
      const path = join(workDir, `f${frame}.png`);
      let image = sharp(pixels.get(frame)!, { raw: { width: probe.width, height: probe.height, channels: 1 } });
      if (probe.width > FULL_FRAME_MAX_WIDTH) image = image.resize({ width: FULL_FRAME_MAX_WIDTH });
      await image.png({ compressionLevel: 1 }).toFile(path);
      fullCrops.push({ path, frame, kind: 'full' });
    }
    const overlayTexts = await ocr.recognize(crops.map((c) => c.path), { layout: 'single_line', signal: options.signal });
    const fullTexts = await ocr.recognize(fullCrops.map((c) => c.path), { layout: 'sparse', signal: options.signal });
    const byFrame = new Map<number, string[]>();
    crops.forEach((c, i) => byFrame.set(c.frame, [...(byFrame.get(c.frame) ?? []), overlayTexts[i]!.text]));
    for (const [frame, texts] of byFrame) sources.push({ location: `ocr-overlay:frame-${frame}`, label: `Texterkennung der Einblendungsbereiche, Bild ${frame}`, text: texts.join('\n') });
    fullCrops.forEach((c, i) => sources.push({ location: `ocr-frame:frame-${c.frame}`, label: `Texterkennung des ganzen Bildes, Bild ${c.frame}`, text: fullTexts[i]!.text }));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const { findings, checkedSources } = searchSources(matcher, sources);
  return gateResult({ mediaType: 'video', matcher, findings, checkedSources, structuralReasons, startedAt });
}

import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FFMPEG_BASE_ARGS } from './extract.js';
import { commitTempFile, removeQuietly, siblingTempPath } from './files.js';
import { runTool } from './run-tool.js';
import type { MediaTools } from './tools.js';

/** A pixel rectangle in the full frame. */
export interface PixelRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** An inclusive range of frame numbers (FrameIndex numbering). */
export interface FrameRange {
  readonly startFrame: number;
  readonly endFrame: number;
}

export interface MaskSpec {
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** Everything outside this rectangle becomes black; undefined keeps the whole frame. */
  readonly keepRect?: PixelRect;
  /** Rectangles filled black on every frame. */
  readonly blackRects: readonly PixelRect[];
  /** Frames left out of the output (their time stays a gap, so the video stays in sync with the original). */
  readonly removeFrames: readonly FrameRange[];
}

/**
 * 4:2:0 video stores colour per 2×2 block: a rectangle edge on an odd pixel would leave a
 * half-coloured fringe of the masked content. Masks therefore grow to even edges and the
 * kept area shrinks to even edges.
 */
export function alignOutward(rect: PixelRect, frameWidth: number, frameHeight: number): PixelRect {
  const x0 = Math.max(0, Math.floor(rect.x / 2) * 2);
  const y0 = Math.max(0, Math.floor(rect.y / 2) * 2);
  const x1 = Math.min(frameWidth, Math.ceil((rect.x + rect.width) / 2) * 2);
  const y1 = Math.min(frameHeight, Math.ceil((rect.y + rect.height) / 2) * 2);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

export function alignInward(rect: PixelRect, frameWidth: number, frameHeight: number): PixelRect {
  const x0 = Math.max(0, Math.ceil(rect.x / 2) * 2);
  const y0 = Math.max(0, Math.ceil(rect.y / 2) * 2);
  const x1 = Math.min(frameWidth, Math.floor((rect.x + rect.width) / 2) * 2);
  const y1 = Math.min(frameHeight, Math.floor((rect.y + rect.height) / 2) * 2);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** The video filter chain for a mask spec (`n` in select counts decoded frames, as FrameIndex does). */
export function maskFilterChain(spec: MaskSpec): string {
  const filters: string[] = [];
  if (spec.removeFrames.length > 0) {
    const ranges = spec.removeFrames.map((r) => `between(n,${r.startFrame},${r.endFrame})`).join('+');
    filters.push(`select='not(${ranges})'`);
  }
  if (spec.keepRect) {
    const keep = alignInward(spec.keepRect, spec.frameWidth, spec.frameHeight);
    if (keep.width <= 0 || keep.height <= 0) throw new RangeError('the kept image area is empty');
    if (keep.width < spec.frameWidth || keep.height < spec.frameHeight) {
      filters.push(`crop=${keep.width}:${keep.height}:${keep.x}:${keep.y}`, `pad=${spec.frameWidth}:${spec.frameHeight}:${keep.x}:${keep.y}:color=black`);
    }
  }
  for (const rect of spec.blackRects) {
    const box = alignOutward(rect, spec.frameWidth, spec.frameHeight);
    if (box.width > 0 && box.height > 0) filters.push(`drawbox=x=${box.x}:y=${box.y}:w=${box.width}:h=${box.height}:color=black:t=fill`);
  }
  filters.push('format=yuv420p');
  return filters.join(',');
}

/**
 * Arguments that keep identifiers out of a written file: no global, stream or chapter
 * metadata from the source, no subtitle/data/attachment streams (only what is mapped), and
 * bit-exact muxing so no encoder/creation tags are added.
 */
export const STRIP_METADATA_ARGS: readonly string[] = [
  '-map_metadata', '-1',
  '-map_metadata:s', '-1',
  '-map_chapters', '-1',
  '-fflags', '+bitexact',
  '-flags:v', '+bitexact',
  '-flags:a', '+bitexact',
];

export interface RenderMaskedOptions {
  readonly input: string;
  readonly output: string;
  readonly spec: MaskSpec;
  /** Audio can carry spoken names; it is dropped unless asked for. */
  readonly keepAudio?: boolean;
  readonly preset?: string;
  readonly crf?: number;
  readonly threads?: number;
  readonly signal?: AbortSignal;
}

export interface EncodeVideoOptions {
  readonly input: string;
  readonly output: string;
  /** Filter chain applied to the first video stream. */
  readonly filter: string;
  /** `drop` (default), `aac` (re-encode) or `copy` the audio streams. */
  readonly audio?: 'drop' | 'aac' | 'copy';
  readonly preset?: string;
  readonly crf?: number;
  readonly threads?: number;
  /** Mode of the written file. */
  readonly mode?: number;
  readonly signal?: AbortSignal;
}

/**
 * Re-encodes the first video stream through `filter` as MP4 (H.264, every frame kept with its
 * timestamp, no metadata, no subtitle/data streams) into a temp sibling of `output`, then renames
 * it into place; on any failure nothing is left behind.
 */
export async function encodeVideo(tools: MediaTools, options: EncodeVideoOptions): Promise<{ durationSeconds: number }> {
  await mkdir(dirname(options.output), { recursive: true });
  const temp = siblingTempPath(options.output);
  const audio = options.audio === 'aac' ? ['-map', '0:a?', '-c:a', 'aac', '-b:a', '128k'] : options.audio === 'copy' ? ['-map', '0:a?', '-c:a', 'copy'] : ['-an'];
  try {
    const { durationSeconds } = await runTool({
      tool: 'ffmpeg',
      command: tools.ffmpeg,
      args: [
        ...FFMPEG_BASE_ARGS,
        '-i', options.input,
        '-filter_complex', `[0:v:0]${options.filter}[out]`,
        '-map', '[out]',
        ...audio,
        '-sn', '-dn',
        ...STRIP_METADATA_ARGS,
        '-fps_mode', 'passthrough',
        '-c:v', 'libx264',
        '-preset', options.preset ?? 'veryfast',
        '-crf', String(options.crf ?? 18),
        ...(options.threads ? ['-threads', String(options.threads)] : []),
        '-movflags', '+faststart',
        '-f', 'mp4',
        '-y', temp,
      ],
      env: tools.baseEnv,
      totalTimeoutSeconds: tools.totalTimeoutSeconds,
      idleTimeoutSeconds: tools.idleTimeoutSeconds,
      progressFd: true,
      signal: options.signal,
    });
    await commitTempFile(temp, options.output, options.mode ?? 0o640);
    return { durationSeconds };
  } catch (error) {
    await removeQuietly(temp);
    throw error;
  }
}

/** Writes the masked video (see `encodeVideo`); audio can carry spoken names, so it is dropped unless asked for. */
export async function renderMaskedVideo(tools: MediaTools, options: RenderMaskedOptions): Promise<{ durationSeconds: number }> {
  return encodeVideo(tools, { ...options, filter: maskFilterChain(options.spec), audio: options.keepAudio ? 'aac' : 'drop' });
}

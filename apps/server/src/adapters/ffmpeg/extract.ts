import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { MediaToolError } from './errors.js';
import type { FrameIndex } from './frame-index.js';
import { frameTimestamps } from './probe.js';
import { runTool } from './run-tool.js';
import type { MediaTools } from './tools.js';

/** Wanted frames closer than this (media seconds) are decoded in one pass instead of seeking again. */
const CLUSTER_GAP_SECONDS = 20;
/** Keeps one select expression (evaluated for every decoded frame) short. */
const MAX_FRAMES_PER_RUN = 120;

interface Run {
  readonly frames: readonly number[];
  readonly seek: boolean;
}

function planRuns(index: FrameIndex, frames: readonly number[]): Run[] {
  const runs: Run[] = [];
  let current: number[] = [];
  for (const frame of frames) {
    const last = current[current.length - 1];
    if (last !== undefined && (index.secondsOf(frame) - index.secondsOf(last) > CLUSTER_GAP_SECONDS || current.length >= MAX_FRAMES_PER_RUN)) {
      runs.push({ frames: current, seek: true });
      current = [];
    }
    current.push(frame);
  }
  if (current.length > 0) runs.push({ frames: current, seek: true });
  return runs;
}

/**
 * Input options and filter that decode exactly the given frames. Frames are matched by
 * their presentation timestamp (`-copyts` keeps the stream's own ticks in the filter, so
 * `pts` equals what ffprobe reported); seeking only positions the decoder at a key frame
 * before the first wanted frame and never decides which frame comes out.
 */
function selectArgs(index: FrameIndex, run: Run): { input: string[]; select: string } {
  const input = ['-copyts'];
  if (run.seek && run.frames[0]! > 0) {
    // Absolute stream time, rounded down a millisecond so float rounding cannot skip the frame.
    const seekSeconds = Math.max(0, index.ptsSecondsOf(run.frames[0]!) - 0.001);
    input.push('-seek_timestamp', '1', '-noaccurate_seek', '-ss', seekSeconds.toFixed(6));
  }
  const select = `select='${run.frames.map((f) => `eq(pts,${index.ptsOf(f)})`).join('+')}'`;
  return { input, select };
}

function sortedUnique(index: FrameIndex, frameNumbers: readonly number[]): number[] {
  for (const frame of frameNumbers) index.assertFrame(frame);
  return [...new Set(frameNumbers)].sort((a, b) => a - b);
}

/** Quiet ffmpeg whose progress feeds the idle watchdog through fd 3. */
export const FFMPEG_BASE_ARGS: readonly string[] = ['-hide_banner', '-nostdin', '-v', 'error', '-nostats', '-progress', 'pipe:3'];

export interface ExtractFramesOptions {
  readonly path: string;
  readonly frameNumbers: readonly number[];
  readonly outDir: string;
  /** Reuse an index computed earlier (saves decoding the video once more). */
  readonly frameIndex?: FrameIndex;
  readonly signal?: AbortSignal;
}

/** PNG file of a frame written by `extractFrames`. */
export function framePngName(frame: number): string {
  return `frame_${String(frame).padStart(7, '0')}.png`;
}

/**
 * Writes the exact frames (by decoded presentation timestamp) as `frame_NNNNNNN.png` into
 * `outDir` and returns frame number → file path. Fails when a frame does not come out,
 * rather than handing back a neighbour.
 */
export async function extractFrames(tools: MediaTools, options: ExtractFramesOptions): Promise<Map<number, string>> {
  const index = options.frameIndex ?? (await frameTimestamps(tools, options.path));
  const frames = sortedUnique(index, options.frameNumbers);
  await mkdir(options.outDir, { recursive: true });
  const result = new Map<number, string>();
  for (const run of planRuns(index, frames)) {
    const produced = await extractRun(tools, options, index, run);
    const complete = produced.length === run.frames.length ? produced : await extractRun(tools, options, index, { frames: run.frames, seek: false });
    if (complete.length !== run.frames.length) {
      throw new MediaToolError('bad_output', 'ffmpeg', `decoded ${complete.length} of ${run.frames.length} requested frames`);
    }
    for (let i = 0; i < run.frames.length; i += 1) {
      const target = join(options.outDir, framePngName(run.frames[i]!));
      await rename(complete[i]!, target);
      result.set(run.frames[i]!, target);
    }
  }
  return result;
}

async function extractRun(tools: MediaTools, options: ExtractFramesOptions, index: FrameIndex, run: Run): Promise<string[]> {
  const prefix = `.extract-${randomBytes(6).toString('hex')}-`;
  const { input, select } = selectArgs(index, run);
  try {
    await runTool({
      tool: 'ffmpeg',
      command: tools.ffmpeg,
      args: [
        ...FFMPEG_BASE_ARGS,
        ...input,
        '-i', options.path,
        '-map', '0:v:0',
        '-vf', select,
        '-fps_mode', 'passthrough',
        '-frames:v', String(run.frames.length),
        '-f', 'image2',
        '-start_number', '0',
        join(options.outDir, `${prefix}%06d.png`),
      ],
      env: tools.baseEnv,
      totalTimeoutSeconds: tools.totalTimeoutSeconds,
      idleTimeoutSeconds: tools.idleTimeoutSeconds,
      progressFd: true,
      signal: options.signal,
    });
  } catch (error) {
    await removeByPrefix(options.outDir, prefix);
    throw error;
  }
  const names = (await readdir(options.outDir)).filter((n) => n.startsWith(prefix)).sort();
  if (names.length !== run.frames.length) await removeByPrefix(options.outDir, prefix);
  return names.length === run.frames.length ? names.map((n) => join(options.outDir, n)) : [];
}

async function removeByPrefix(dir: string, prefix: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix)).map((n) => rm(join(dir, n), { force: true })));
}

export interface GrayFramesOptions {
  readonly path: string;
  readonly frameNumbers: readonly number[];
  readonly frameIndex: FrameIndex;
  /** Output size; frames are scaled to it (area averaging) before conversion to 8-bit gray. */
  readonly width: number;
  readonly height: number;
  readonly signal?: AbortSignal;
}

/** Exact frames as 8-bit gray pixel buffers (width × height bytes each), in frame order. */
export async function readGrayFrames(tools: MediaTools, options: GrayFramesOptions): Promise<Map<number, Buffer>> {
  const frames = sortedUnique(options.frameIndex, options.frameNumbers);
  const frameBytes = options.width * options.height;
  const result = new Map<number, Buffer>();
  for (const run of planRuns(options.frameIndex, frames)) {
    let data = await grayRun(tools, options, run);
    if (data.length !== frameBytes * run.frames.length) data = await grayRun(tools, options, { frames: run.frames, seek: false });
    if (data.length !== frameBytes * run.frames.length) {
      throw new MediaToolError('bad_output', 'ffmpeg', `decoded ${Math.floor(data.length / frameBytes)} of ${run.frames.length} requested frames`);
    }
    run.frames.forEach((frame, i) => result.set(frame, data.subarray(i * frameBytes, (i + 1) * frameBytes)));
  }
  return result;
}

async function grayRun(tools: MediaTools, options: GrayFramesOptions, run: Run): Promise<Buffer> {
  const { input, select } = selectArgs(options.frameIndex, run);
  const { stdout } = await runTool({
    tool: 'ffmpeg',
    command: tools.ffmpeg,
    args: [
      ...FFMPEG_BASE_ARGS,
      ...input,
      '-i', options.path,
      '-map', '0:v:0',
      '-vf', `${select},scale=${options.width}:${options.height}:flags=area,format=gray`,
      '-fps_mode', 'passthrough',
      '-frames:v', String(run.frames.length),
      '-f', 'rawvideo',
      'pipe:1',
    ],
    env: tools.baseEnv,
    totalTimeoutSeconds: tools.totalTimeoutSeconds,
    idleTimeoutSeconds: tools.idleTimeoutSeconds,
    progressFd: true,
    captureStdout: true,
    signal: options.signal,
  });
  return stdout;
}

export interface SampledFramesOptions {
  readonly path: string;
  readonly frameIndex: FrameIndex;
  /** Every `stride`-th frame: 0, stride, 2·stride, … */
  readonly stride: number;
  readonly width: number;
  readonly height: number;
  /** Frames handed over per call of `onBatch` (bounds memory: batch × width × height × 3 bytes). */
  readonly batchSize: number;
  readonly signal?: AbortSignal;
}

/**
 * Decodes every `stride`-th frame in ONE pass (ffmpeg's `n` counts decoded frames, which is the
 * FrameIndex numbering) as packed RGB24 and hands them over in batches while decoding continues;
 * ffmpeg waits while a batch is being processed. Fails unless exactly the expected frames came out.
 */
export async function streamSampledRgbFrames(tools: MediaTools, options: SampledFramesOptions, onBatch: (frameNumbers: number[], pixels: Buffer[]) => Promise<void>): Promise<number> {
  if (!Number.isInteger(options.stride) || options.stride < 1) throw new RangeError(`invalid stride ${options.stride}`);
  const frameBytes = options.width * options.height * 3;
  const expected = Math.ceil(options.frameIndex.frameCount / options.stride);
  let current = Buffer.allocUnsafe(frameBytes);
  let filled = 0;
  let produced = 0;
  const frames: number[] = [];
  const pixels: Buffer[] = [];
  let consumerError: unknown;
  /** Hands over full batches (and, at the end, the rest); a chunk may have completed several frames. */
  const flush = async (all: boolean): Promise<void> => {
    while (frames.length >= options.batchSize || (all && frames.length > 0)) {
      const f = frames.splice(0, options.batchSize);
      const p = pixels.splice(0, options.batchSize);
      try {
        await onBatch(f, p);
      } catch (error) {
        consumerError = error;
        throw error;
      }
    }
  };
  try {
    await runTool({
      tool: 'ffmpeg',
      command: tools.ffmpeg,
      args: [
        ...FFMPEG_BASE_ARGS,
        '-i', options.path,
        '-map', '0:v:0',
        '-vf', `select='not(mod(n,${options.stride}))',scale=${options.width}:${options.height}:flags=area,format=rgb24`,
        '-fps_mode', 'passthrough',
        '-f', 'rawvideo',
        'pipe:1',
      ],
      env: tools.baseEnv,
      totalTimeoutSeconds: tools.totalTimeoutSeconds,
      idleTimeoutSeconds: tools.idleTimeoutSeconds,
      progressFd: true,
      signal: options.signal,
      onStdout(chunk) {
        for (let offset = 0; offset < chunk.length; ) {
          const n = Math.min(frameBytes - filled, chunk.length - offset);
          chunk.copy(current, filled, offset, offset + n);
          filled += n;
          offset += n;
          if (filled === frameBytes) {
            frames.push(produced * options.stride);
            pixels.push(current);
            produced += 1;
            current = Buffer.allocUnsafe(frameBytes);
            filled = 0;
          }
        }
        return frames.length >= options.batchSize ? flush(false) : undefined;
      },
    });
  } catch (error) {
    throw consumerError ?? error;
  }
  await flush(true);
  if (produced !== expected || filled !== 0) throw new MediaToolError('bad_output', 'ffmpeg', `decoded ${produced} of ${expected} sampled frames`);
  return produced;
}

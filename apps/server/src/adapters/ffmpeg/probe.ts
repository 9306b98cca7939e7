import { open, stat } from 'node:fs/promises';
import { z } from 'zod';
import { MediaInputError, MediaToolError } from './errors.js';
import { FrameIndex, type TimeBase } from './frame-index.js';
import { runTool } from './run-tool.js';
import type { MediaTools } from './tools.js';

/** Technical metadata of a video file; frame figures come from decoding, not from the header. */
export interface VideoProbe {
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  /** Mean decoded frames per second. */
  readonly fps: number;
  readonly frameCount: number;
  readonly durationSeconds: number;
  /** Stream clock time of the first frame. */
  readonly startTimeSeconds: number;
  readonly hasAudio: boolean;
  readonly containerFormat: string;
  readonly sizeBytes: number;
  readonly frameIndex: FrameIndex;
}

const numeric = z.union([z.string(), z.number()]).optional();
const streamsSchema = z.object({
  streams: z
    .array(
      z.object({
        index: z.number(),
        codec_type: z.string().optional(),
        codec_name: z.string().optional(),
        width: z.number().optional(),
        height: z.number().optional(),
        time_base: z.string().optional(),
        start_time: numeric,
        duration: numeric,
        nb_frames: numeric,
        disposition: z.record(z.string(), z.number()).optional(),
      }),
    )
    .default([]),
  format: z.object({ format_name: z.string().optional(), duration: numeric, start_time: numeric }).optional(),
});
type ProbedStream = z.infer<typeof streamsSchema>['streams'][number];

const framesSchema = z.object({
  frames: z.array(z.object({ best_effort_timestamp: z.number().optional(), pts: z.number().optional(), pkt_dts: z.number().optional() })).default([]),
  streams: z.array(z.object({ time_base: z.string().optional() })).default([]),
});

/** Decoder error lines that mean the data ends early or is damaged. */
const DAMAGE = /partial file|invalid data found|error while decoding|corrupt|truncat|moov atom not found|end of file/i;

async function requireFile(path: string): Promise<number> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new MediaInputError('not_found', 'Die Videodatei ist keine reguläre Datei.');
    size = info.size;
  } catch (error) {
    if (error instanceof MediaInputError) throw error;
    throw new MediaInputError('not_found', 'Die Videodatei wurde nicht gefunden.');
  }
  if (size === 0) throw new MediaInputError('empty', 'Die Videodatei ist leer (0 Bytes).');
  return size;
}

async function startsLikeMp4(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    return bytesRead >= 8 && head.subarray(4, 8).toString('latin1') === 'ftyp';
  } finally {
    await handle.close();
  }
}

function parseTimeBase(text: string | undefined): TimeBase {
  const match = /^(\d+)\/(\d+)$/.exec(text ?? '');
  if (!match || Number(match[1]) === 0 || Number(match[2]) === 0) {
    throw new MediaInputError('unreadable', 'Die Zeitbasis des Videostroms ist unbekannt.');
  }
  return { num: Number(match[1]), den: Number(match[2]) };
}

/** ffprobe's view of the container: streams and format, no decoding. */
async function probeStreams(tools: MediaTools, path: string): Promise<z.infer<typeof streamsSchema>> {
  let stdout: Buffer;
  try {
    ({ stdout } = await runTool({
      tool: 'ffprobe',
      command: tools.ffprobe,
      args: ['-v', 'error', '-show_entries', 'stream=index,codec_type,codec_name,width,height,time_base,start_time,duration,nb_frames,disposition:format=format_name,duration,start_time', '-of', 'json', '-i', path],
      env: tools.baseEnv,
      totalTimeoutSeconds: tools.totalTimeoutSeconds,
      idleTimeoutSeconds: tools.idleTimeoutSeconds,
      captureStdout: true,
      maxStdoutBytes: 16 * 1024 * 1024,
    }));
  } catch (error) {
    if (error instanceof MediaToolError && error.code === 'exit_code') {
      // "moov atom not found" is also what any non-MP4 named .mp4 gets; only a real MP4 start makes it a cut-off file.
      const truncated = /moov atom not found|partial file|end of file/i.test(error.detail) && (await startsLikeMp4(path));
      throw new MediaInputError(
        truncated ? 'truncated' : 'unreadable',
        truncated ? 'Die Videodatei ist unvollständig (abgeschnitten) und kann nicht gelesen werden.' : 'Die Datei ist kein lesbares Video.',
        error.detail,
      );
    }
    throw error;
  }
  const parsed = streamsSchema.safeParse(JSON.parse(stdout.toString('utf8') || '{}'));
  if (!parsed.success) throw new MediaToolError('bad_output', 'ffprobe', 'unexpected stream description');
  return parsed.data;
}

/** The first real video stream (cover art and thumbnails are attached pictures, not video). */
function firstVideoStream(streams: readonly ProbedStream[]): ProbedStream | undefined {
  return streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
}

/**
 * Decoded presentation timestamps of every frame of the first video stream, in the order
 * the decoder presents them (which is what ffmpeg's filters number as `n`). Decoding, not
 * the packet table, decides: edit lists, dropped leading frames and variable frame rates
 * come out as the player will see them.
 */
export async function frameTimestamps(tools: MediaTools, path: string): Promise<FrameIndex> {
  await requireFile(path);
  let stdout: Buffer;
  let stderr: string;
  try {
    ({ stdout, stderr } = await runTool({
      tool: 'ffprobe',
      command: tools.ffprobe,
      args: ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=best_effort_timestamp,pts,pkt_dts:stream=time_base', '-of', 'json', '-i', path],
      env: tools.baseEnv,
      totalTimeoutSeconds: tools.totalTimeoutSeconds,
      idleTimeoutSeconds: tools.idleTimeoutSeconds,
      captureStdout: true,
    }));
  } catch (error) {
    if (error instanceof MediaToolError && error.code === 'exit_code') {
      throw new MediaInputError('unreadable', 'Die Bilder des Videos können nicht dekodiert werden.', error.detail);
    }
    throw error;
  }
  const parsed = framesSchema.safeParse(JSON.parse(stdout.toString('utf8') || '{}'));
  if (!parsed.success) throw new MediaToolError('bad_output', 'ffprobe', 'unexpected frame list');
  const timeBase = parseTimeBase(parsed.data.streams[0]?.time_base);
  if (parsed.data.frames.length === 0) {
    throw new MediaInputError(DAMAGE.test(stderr) ? 'truncated' : 'no_video', 'Das Video enthält keine dekodierbaren Bilder.', stderr);
  }
  const pts = parsed.data.frames.map((f) => f.best_effort_timestamp ?? f.pts ?? f.pkt_dts ?? Number.NaN);
  return FrameIndex.fromPts(pts, timeBase);
}

/**
 * Probes a video: container and stream facts from ffprobe, frame count and times from
 * decoding every frame. Zero-length, truncated, audio-only and undecodable files fail
 * with a `MediaInputError` whose message says what is wrong.
 */
export async function probeVideo(tools: MediaTools, path: string): Promise<VideoProbe> {
  const sizeBytes = await requireFile(path);
  const described = await probeStreams(tools, path);
  const video = firstVideoStream(described.streams);
  if (!video) {
    const hasAudio = described.streams.some((s) => s.codec_type === 'audio');
    throw new MediaInputError('no_video', hasAudio ? 'Die Datei enthält nur Ton und keinen Videostrom.' : 'Die Datei enthält keinen Videostrom.');
  }
  if (!video.width || !video.height) throw new MediaInputError('unreadable', 'Die Bildgröße des Videos ist unbekannt.');
  const frameIndex = await frameTimestamps(tools, path);
  const declaredFrames = Number(video.nb_frames);
  // A container that promises clearly more frames than decode means the data was cut off.
  if (Number.isFinite(declaredFrames) && declaredFrames > 0 && frameIndex.frameCount < declaredFrames - Math.max(2, declaredFrames * 0.01)) {
    throw new MediaInputError(
      'truncated',
      `Die Videodatei ist unvollständig: ${frameIndex.frameCount} von ${declaredFrames} Bildern lesbar.`,
    );
  }
  return {
    codec: video.codec_name ?? 'unknown',
    width: video.width,
    height: video.height,
    fps: frameIndex.averageFps,
    frameCount: frameIndex.frameCount,
    durationSeconds: frameIndex.durationSeconds,
    startTimeSeconds: frameIndex.startPtsSeconds,
    hasAudio: described.streams.some((s) => s.codec_type === 'audio'),
    containerFormat: described.format?.format_name ?? 'unknown',
    sizeBytes,
    frameIndex,
  };
}

/** Minimum frames for the processing pipeline: a single still is not an examination video. */
export const MIN_PROCESSABLE_FRAMES = 2;

/** Refuses videos the pipeline cannot meaningfully process. */
export function assertProcessableVideo(probe: VideoProbe): void {
  if (probe.frameCount < MIN_PROCESSABLE_FRAMES) {
    throw new MediaInputError('too_short', `Das Video enthält nur ${probe.frameCount} Bild; für die Verarbeitung sind mindestens ${MIN_PROCESSABLE_FRAMES} nötig.`);
  }
}

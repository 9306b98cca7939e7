// Test support: small generated videos whose content says which frame you are looking at.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mediaToolsFromSettings, type MediaTools } from '../tools.js';
import { runTool } from '../run-tool.js';

export const TESSDATA = '/usr/share/tesseract-ocr/5/tessdata';

/** Real ffmpeg/ffprobe/tesseract from PATH with short watchdogs. */
export function testTools(overrides: Partial<MediaTools> = {}): MediaTools {
  return {
    ...mediaToolsFromSettings({ ffmpeg: 'ffmpeg', transcodeTimeoutSeconds: 300, tessdataPrefix: TESSDATA }, { searchPath: process.env.PATH ?? '/usr/bin:/bin', idleTimeoutSeconds: 60 }),
    ...overrides,
  };
}

/** Frame numbers are drawn as 10 white/black squares of this size in the top-left corner. */
export const BIT_SIZE = 16;
export const BITS = 10;

export async function ffmpeg(args: readonly string[], tools: MediaTools = testTools()): Promise<void> {
  await runTool({ tool: 'ffmpeg', command: tools.ffmpeg, args: ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], env: tools.baseEnv, totalTimeoutSeconds: 300, idleTimeoutSeconds: 120 });
}

export interface NumberedVideoOptions {
  readonly width?: number;
  readonly height?: number;
  readonly frames?: number;
  /** Irregular frame spacing: a 0.5 s gap after frame 20, 0.07 s spacing from frame 30. */
  readonly variableFrameRate?: boolean;
  /** Stream clock of the first frame. */
  readonly startSeconds?: number;
  readonly background?: string;
  readonly extraFilter?: string;
  readonly container?: 'mp4' | 'mkv';
}

/**
 * A video whose frame N shows N in binary (bit k white when set) at the top left, optionally
 * with variable frame timing and a non-zero start. B-frames are on, so decode and
 * presentation order differ as in real recordings.
 */
export async function makeNumberedVideo(path: string, options: NumberedVideoOptions = {}): Promise<void> {
  const width = options.width ?? 320;
  const height = options.height ?? 64;
  const frames = options.frames ?? 50;
  const boxes = Array.from({ length: BITS }, (_, k) => `drawbox=x=${k * BIT_SIZE}:y=0:w=${BIT_SIZE}:h=${BIT_SIZE}:color=white:t=fill:enable='eq(mod(floor(n/${2 ** k}),2),1)'`);
  const timing = options.variableFrameRate ? `,setpts='(N*0.04+gte(N,20)*0.5+gte(N,30)*(N-30)*0.03)/TB'` : '';
  await ffmpeg([
    '-f', 'lavfi', '-i', `color=c=${options.background ?? 'black'}:s=${width}x${height}:r=25:d=${frames / 25}`,
    '-vf', `${boxes.join(',')}${options.extraFilter ? `,${options.extraFilter}` : ''}${timing},format=yuv420p`,
    '-frames:v', String(frames),
    '-fps_mode', options.variableFrameRate ? 'passthrough' : 'cfr',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '2', '-crf', '12',
    ...(options.startSeconds ? ['-output_ts_offset', String(options.startSeconds)] : []),
    path,
  ]);
}

/** Reads the frame number drawn by `makeNumberedVideo` from an 8-bit gray frame. */
export function readFrameNumber(gray: Buffer, width: number): number {
  let value = 0;
  const row = Math.floor(BIT_SIZE / 2);
  for (let k = 0; k < BITS; k += 1) if (gray[row * width + k * BIT_SIZE + Math.floor(BIT_SIZE / 2)]! > 128) value |= 1 << k;
  return value;
}

/**
 * A Matroska file full of places where identifiers hide: global title/comment/creation_time,
 * a stream title, a chapter, a subtitle stream and an attachment.
 */
export async function makeMetadataRichSource(dir: string): Promise<string> {
  const srt = join(dir, 'sub.srt');
  const meta = join(dir, 'meta.txt');
  const attachment = join(dir, 'patientenliste.txt');
  await writeFile(srt, '1\n00:00:00,000 --> 00:00:01,000\nPatient Müller-Lüdenscheidt\n');
  await writeFile(meta, ';FFMETADATA1\ntitle=Müller-Lüdenscheidt Jürgen 03.07.1958\ncomment=Fall FN-2024-004711\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=Jürgen Müller-Lüdenscheidt\n');
  await writeFile(attachment, 'Müller-Lüdenscheidt, Jürgen, 03.07.1958\n');
  const out = join(dir, 'rich-source.mkv');
  await ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc=s=320x240:r=25:d=2',
    '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2',
    '-i', srt,
    '-i', meta,
    '-map', '0:v', '-map', '1:a', '-map', '2:s',
    '-map_metadata', '3', '-map_chapters', '3',
    '-metadata', 'creation_time=2024-03-14T09:41:27Z',
    '-metadata:s:v:0', 'title=Müller-Lüdenscheidt',
    '-attach', attachment, '-metadata:s:t', 'mimetype=text/plain',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-c:s', 'srt',
    out,
  ]);
  return out;
}

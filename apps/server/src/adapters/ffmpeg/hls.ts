import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MediaToolError } from './errors.js';
import { fsyncDirectory } from '../../shared/durable-fs.js';
import { removeQuietly } from './files.js';
import { runTool } from './run-tool.js';
import type { MediaTools } from './tools.js';

/** HLS target segment length; key frames are forced on this grid so segments really are this long. */
export const HLS_SEGMENT_SECONDS = 4;
export const HLS_CONTENT_KEY_BYTES = 16;
export const HLS_PLAYLIST_NAME = 'playlist.m3u8';
const SEGMENT_NAME = /^seg_\d{3,}\.ts$/;

export interface MaterializeHlsOptions {
  /** A seekable plaintext video (the caller decrypts LXENC01 sources to a private temp file first). */
  readonly sourcePlaintextPath: string;
  /** Final directory (`…/hls/<video uuid>/<key_id>/v0`); created atomically, parents 0750. */
  readonly outputDir: string;
  /** Where the transient key file and key_info live (a private per-run 0700 directory is made inside). */
  readonly keyMaterialDir: string;
  /** Written into `#EXT-X-KEY`; the player fetches the 16-byte key there. */
  readonly keyUri: string;
  /** Prefixed to every segment name in the playlist. */
  readonly segmentBaseUrl: string;
  readonly threads: number;
  /** Reuse a key the caller already stored (e.g. a retry of the same artifact); else a fresh one is made. */
  readonly contentKey?: Buffer;
  readonly ivHex?: string;
  readonly signal?: AbortSignal;
}

export type MaterializeHlsResult =
  | {
      readonly status: 'materialized';
      /** Raw AES-128 content key: wrap it under the master key before storing. */
      readonly contentKey: Buffer;
      readonly ivHex: string;
      readonly playlistPath: string;
      readonly segmentCount: number;
      readonly segmentDurationsSeconds: readonly number[];
    }
  | {
      readonly status: 'already_ready';
      readonly playlistPath: string;
      readonly segmentCount: number;
      readonly segmentDurationsSeconds: readonly number[];
    };

/** The reference ffmpeg arguments (contracts §6.2) plus forced key frames on the segment grid. */
export function hlsFfmpegArgs(o: { input: string; threads: number; keyInfoPath: string; segmentBaseUrl: string; outDir: string }): string[] {
  return [
    '-hide_banner', '-y',
    '-i', o.input,
    '-map', '0:v:0', '-map', '0:a?',
    '-codec:v', 'libx264',
    '-threads', String(o.threads),
    '-preset', 'medium',
    '-profile:v', 'high',
    '-crf', '18',
    '-pix_fmt', 'yuv420p',
    // x264 would otherwise place key frames by scene (10 s apart and more): segments could only be cut there.
    '-force_key_frames', `expr:gte(t,n_forced*${HLS_SEGMENT_SECONDS})`,
    '-codec:a', 'copy',
    '-f', 'hls',
    '-hls_time', String(HLS_SEGMENT_SECONDS),
    '-hls_playlist_type', 'vod',
    '-hls_key_info_file', o.keyInfoPath,
    '-hls_base_url', o.segmentBaseUrl,
    '-hls_segment_filename', join(o.outDir, 'seg_%03d.ts'),
    join(o.outDir, HLS_PLAYLIST_NAME),
  ];
}

interface Validated {
  readonly segmentCount: number;
  readonly segmentDurationsSeconds: number[];
}

/**
 * Checks a materialized directory: a non-empty VOD playlist that is AES-128 encrypted and
 * whose every segment exists as a non-empty `seg_NNN.ts`. Returns undefined when unusable.
 */
export async function validateHlsDir(dir: string, segmentBaseUrl: string): Promise<Validated | undefined> {
  let playlist: string;
  try {
    playlist = await readFile(join(dir, HLS_PLAYLIST_NAME), 'utf8');
  } catch {
    return undefined;
  }
  if (!playlist.startsWith('#EXTM3U') || !/#EXT-X-KEY:METHOD=AES-128,/.test(playlist) || !playlist.includes('#EXT-X-ENDLIST')) return undefined;
  const durations: number[] = [];
  const names: string[] = [];
  const lines = playlist.split('\n').map((l) => l.trim());
  for (let i = 0; i < lines.length; i += 1) {
    const extinf = /^#EXTINF:([0-9.]+),/.exec(lines[i]!);
    if (!extinf) continue;
    const uri = lines[i + 1] ?? '';
    if (!uri.startsWith(segmentBaseUrl)) return undefined;
    durations.push(Number(extinf[1]));
    names.push(uri.slice(segmentBaseUrl.length));
  }
  if (names.length === 0) return undefined;
  for (const name of names) {
    if (!SEGMENT_NAME.test(name)) return undefined;
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (!info?.isFile() || info.size === 0) return undefined;
  }
  return { segmentCount: names.length, segmentDurationsSeconds: durations };
}

async function writePrivateFile(path: string, data: Buffer | string): Promise<void> {
  await writeFile(path, data, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
}

/** Overwrites the raw key before unlinking so it does not linger in freed blocks of the file. */
async function destroyKeyMaterial(dir: string, keyPath: string): Promise<void> {
  try {
    const handle = await open(keyPath, 'r+');
    try {
      await handle.write(Buffer.alloc(HLS_CONTENT_KEY_BYTES), 0, HLS_CONTENT_KEY_BYTES, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Never written or already gone: nothing to scrub.
  }
  await removeQuietly(dir);
}

/**
 * Encrypted HLS of a plaintext video (contracts §6.2). A fresh AES-128 content key and IV
 * (unless given) are written to a private key directory that is removed afterwards whatever
 * happens; ffmpeg writes into a temp sibling of `outputDir`, the result is validated, made
 * 0640/0750 and renamed into place. A valid existing `outputDir` is left as is.
 */
export async function materializeHls(tools: MediaTools, options: MaterializeHlsOptions): Promise<MaterializeHlsResult> {
  const existing = await validateHlsDir(options.outputDir, options.segmentBaseUrl);
  if (existing) return { status: 'already_ready', playlistPath: join(options.outputDir, HLS_PLAYLIST_NAME), ...existing };

  const contentKey = options.contentKey ?? randomBytes(HLS_CONTENT_KEY_BYTES);
  const ivHex = options.ivHex ?? randomBytes(16).toString('hex');
  if (contentKey.length !== HLS_CONTENT_KEY_BYTES) throw new RangeError(`an HLS content key has ${HLS_CONTENT_KEY_BYTES} bytes`);
  if (!/^[0-9a-f]{32}$/i.test(ivHex)) throw new RangeError('the HLS IV must be 32 hex digits');
  if (/[\r\n]/.test(options.keyUri) || /[\r\n]/.test(options.segmentBaseUrl)) throw new RangeError('key URI and segment base URL must be single lines');

  const parent = dirname(options.outputDir);
  await mkdir(parent, { recursive: true, mode: 0o750 });
  await mkdir(options.keyMaterialDir, { recursive: true, mode: 0o700 });
  const keyDir = await mkdtemp(join(options.keyMaterialDir, 'hls-key-'));
  const keyPath = join(keyDir, 'hls.key');
  const tempOut = join(parent, `.${basename(options.outputDir)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await chmod(keyDir, 0o700);
    await writePrivateFile(keyPath, contentKey);
    const keyInfoPath = join(keyDir, 'key_info.txt');
    await writePrivateFile(keyInfoPath, `${options.keyUri}\n${keyPath}\n${ivHex}\n`);
    await mkdir(tempOut, { mode: 0o750 });
    await runTool({
      tool: 'ffmpeg',
      command: tools.ffmpeg,
      args: [
        '-nostdin', '-v', 'error', '-nostats', '-progress', 'pipe:3',
        ...hlsFfmpegArgs({ input: options.sourcePlaintextPath, threads: options.threads, keyInfoPath, segmentBaseUrl: options.segmentBaseUrl, outDir: tempOut }),
      ],
      env: tools.baseEnv,
      totalTimeoutSeconds: tools.totalTimeoutSeconds,
      idleTimeoutSeconds: tools.idleTimeoutSeconds,
      progressFd: true,
      signal: options.signal,
    });
  } catch (error) {
    await removeQuietly(tempOut);
    throw error;
  } finally {
    await destroyKeyMaterial(keyDir, keyPath);
  }

  try {
    const validated = await validateHlsDir(tempOut, options.segmentBaseUrl);
    if (!validated) throw new MediaToolError('bad_output', 'ffmpeg', 'HLS output failed validation (empty playlist or missing segments)');
    for (const name of await readdir(tempOut)) {
      const file = join(tempOut, name);
      const handle = await open(file, 'r');
      try {
        await handle.chmod(0o640);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    await chmod(tempOut, 0o750);
    await fsyncDirectory(tempOut);
    await replaceDirectory(tempOut, options.outputDir);
    return { status: 'materialized', contentKey, ivHex, playlistPath: join(options.outputDir, HLS_PLAYLIST_NAME), ...validated };
  } catch (error) {
    await removeQuietly(tempOut);
    throw error;
  }
}

/** Renames `from` to `to`; an unusable leftover at `to` is moved aside first and removed after. */
async function replaceDirectory(from: string, to: string): Promise<void> {
  const aside = `${to}.old-${randomBytes(6).toString('hex')}`;
  let movedAside = false;
  try {
    await rename(to, aside);
    movedAside = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    await rename(from, to);
  } catch (error) {
    if (movedAside) await rename(aside, to).catch(() => undefined);
    throw error;
  }
  await fsyncDirectory(dirname(to));
  if (movedAside) await removeQuietly(aside);
}

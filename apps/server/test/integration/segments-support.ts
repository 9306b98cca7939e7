// Shared by the segments integration tests: a tiny video whose brightness changes at known
// frames, stored as a video's processed file, and the real API app around it.
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { frameTimestamps, mediaToolsFromSettings, readGrayFrames, type FrameIndex, type MediaTools } from '../../src/adapters/ffmpeg/index.js';
import { brightnessModel } from '../../src/adapters/onnx/testdata/brightness-model.js';
import type { StorageService } from '../../src/adapters/storage/index.js';
import { ensureRuntimeDirectories } from '../../src/features/admin/index.js';
import { insertVideoFile, updateVideoFile } from '../../src/features/media/index.js';
import type { App } from '../../src/http/app.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiApp } from '../../src/main/api.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { configFrom } from '../helpers/env.js';

/** 6 s at 10 fps, 64×48: frames 0–19 dim grey, 20–39 bright, 40–59 dim grey. */
export const FPS = 10;
export const FRAME_COUNT = 60;
export const BRIGHT_FRAMES = { startFrame: 20, endFrame: 40 } as const;

export function testTools(): MediaTools {
  return mediaToolsFromSettings({ ffmpeg: 'ffmpeg', transcodeTimeoutSeconds: 120, tessdataPrefix: '/usr/share/tesseract-ocr/5/tessdata' }, { searchPath: process.env.PATH ?? '/usr/bin:/bin', idleTimeoutSeconds: 60 });
}

/** Writes the test video into `dir` and returns its path. */
export function makeBrightnessVideo(dir: string): string {
  const out = join(dir, 'brightness.mp4');
  const part = (colour: string) => `color=c=${colour}:s=64x48:r=${FPS}:d=2`;
  const r = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', part('0x606060'), '-f', 'lavfi', '-i', part('0xd0d0d0'), '-f', 'lavfi', '-i', part('0x606060'),
      '-filter_complex', '[0][1][2]concat=n=3:v=1:a=0,format=yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-y', out],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return out;
}

/** ONNX classifier for the labels `outside` (dim frames) and `polyp` (bright frames); input 8×8. */
export async function writeBrightnessModel(dir: string): Promise<string> {
  const path = join(dir, 'brightness.onnx');
  await writeFile(path, brightnessModel([{ weight: -40, bias: 20 }, { weight: 40, bias: -20 }], { width: 8, height: 8 }));
  return path;
}

export async function startSegmentsApp(env: Record<string, string>): Promise<{ runtime: Runtime; app: App; base: string }> {
  const config = configFrom(env);
  await ensureRuntimeDirectories(config.settings);
  const runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
  const app = createApiApp(runtime);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { runtime, app, base };
}

/** A video of `centerId` whose processed file is `videoPath`, stored encrypted like the pipeline stores it. */
export async function insertProcessedVideo(runtime: Runtime, centerId: number, videoPath: string, hashSeed: string): Promise<number> {
  const now = new Date().toISOString();
  const meta = await runtime.db.insertInto('sensitive_meta').values({ center_id: centerId, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
  const { id, uuid } = await insertVideoFile(
    runtime.db,
    { centerId, processorId: null, rawFile: `videos/raw/${hashSeed}.mp4`, videoHash: hashSeed.padEnd(64, '0'), originalFileName: 'test.mp4', uploadJobId: null, sensitiveMetaId: Number(meta.id) },
    now,
  );
  const storage = await runtime.storage.service();
  const stored = await storage.write(`videos/processed/${uuid}.mp4`, createReadStream(videoPath));
  await updateVideoFile(runtime.db, id, { processed_file: stored.relativePath, processed_video_hash: stored.sha256Hex, fps: FPS, frame_count: FRAME_COUNT }, now);
  return id;
}

/** Mean grey value of every frame of a stored (encrypted) video, decoded by exact frame index. */
export async function storedFrameBrightness(storage: StorageService, tools: MediaTools, relativePath: string): Promise<{ index: FrameIndex; means: number[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'lx-seg-check-'));
  try {
    const path = join(dir, 'check.mp4');
    await pipeline(await storage.read(relativePath), createWriteStream(path));
    const index = await frameTimestamps(tools, path);
    const frameNumbers = Array.from({ length: index.frameCount }, (_, i) => i);
    const frames = await readGrayFrames(tools, { path, frameNumbers, frameIndex: index, width: 16, height: 12 });
    return { index, means: frameNumbers.map((f) => [...frames.get(f)!].reduce((a, b) => a + b, 0) / (16 * 12)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** JSON request helper with a signed-in session. */
export async function call(base: string, headers: Record<string, string>, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: r.status, body: parsed };
}

// `npm run bench -- pipeline`: the video processing core against the bare tools, side by side
// in one run on the 60 s 720p demo clip.
//  1. Encrypted HLS materialization vs bare ffmpeg with identical arguments (target ≤ 1.1×),
//     and real 4 s segments.
//  2. Overlay OCR throughput in crops per second (target ≥ 15 on 2 cores).
//  3. Drop → done_processing_anonymization vs the time spent in the ffmpeg/tesseract steps it runs (target ≤ 1.3×).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hlsFfmpegArgs, materializeHls, mediaToolsFromSettings, probeVideo, validateHlsDir } from '../apps/server/src/adapters/ffmpeg/index.js';
import { TesseractOcr } from '../apps/server/src/adapters/ocr/index.js';
import { fitGeometryToVideo, readOverlayMetadata } from '../apps/server/src/features/anonymization/index.js';
import { PROCESSORS } from '../apps/server/src/features/knowledge-base/index.js';
import { DEMO_VARIANTS, makeDemoVideo } from '../apps/server/src/demo/demo-video.js';
import { measureVideoDrop } from './lib/video-drop.js';

const HLS_RATIO_TARGET = 1.1;
const OCR_CROPS_PER_SECOND_TARGET = 15;
const DROP_RATIO_TARGET = 1.3;
const ROUNDS = Number(process.env.LX_BENCH_ROUNDS ?? 2);

const tools = mediaToolsFromSettings(
  { ffmpeg: 'ffmpeg', transcodeTimeoutSeconds: 3600, tessdataPrefix: process.env.TESSDATA_PREFIX ?? '/usr/share/tesseract-ocr/5/tessdata' },
  { searchPath: process.env.PATH ?? '/usr/bin:/bin' },
);
const threads = Math.max(1, availableParallelism() - 2);
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

function runBare(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`bare ffmpeg exited ${code}`))));
  });
}

/** Bare ffmpeg: the same arguments and the same kind of key_info file, nothing else. */
async function bareHls(work: string, source: string, round: number): Promise<number> {
  const out = join(work, `bare-${round}`);
  const keys = join(work, `bare-keys-${round}`);
  await mkdir(out, { recursive: true });
  await mkdir(keys, { recursive: true });
  await writeFile(join(keys, 'hls.key'), randomBytes(16));
  await writeFile(join(keys, 'key_info.txt'), `/k\n${join(keys, 'hls.key')}\n${randomBytes(16).toString('hex')}\n`);
  const args = ['-nostdin', '-v', 'error', '-nostats', ...hlsFfmpegArgs({ input: source, threads, keyInfoPath: join(keys, 'key_info.txt'), segmentBaseUrl: '/s/', outDir: out })];
  const start = process.hrtime.bigint();
  await runBare(args);
  const elapsed = seconds(start);
  await rm(out, { recursive: true, force: true });
  await rm(keys, { recursive: true, force: true });
  return elapsed;
}

/**
 * ffmpeg behind a wrapper that logs when it started and ended, so the time materializeHls
 * spends outside ffmpeg (key files, validation, chmod, rename) is measured directly, which
 * stays meaningful when other load on the host makes whole-run times noisy.
 */
async function timedFfmpeg(work: string): Promise<{ path: string; log: string }> {
  const path = join(work, 'ffmpeg-timed');
  const log = join(work, 'ffmpeg-times.log');
  await writeFile(path, `#!/bin/sh\nstart=$(date +%s.%N)\nffmpeg "$@"\nrc=$?\necho "$start $(date +%s.%N)" >> ${log}\nexit $rc\n`, { mode: 0o755 });
  return { path, log };
}

async function ourHls(work: string, source: string, round: number, ffmpegPath: string): Promise<{ seconds: number; durations: readonly number[] }> {
  const outputDir = join(work, 'streamable', 'processed', 'hls', `video-${round}`, 'key', 'v0');
  const start = process.hrtime.bigint();
  const result = await materializeHls({ ...tools, ffmpeg: ffmpegPath }, { sourcePlaintextPath: source, outputDir, keyMaterialDir: join(work, 'temp', 'hls_key_material'), keyUri: '/k', segmentBaseUrl: '/s/', threads });
  const elapsed = seconds(start);
  const validated = await validateHlsDir(outputDir, '/s/');
  if (result.status !== 'materialized' || !validated) throw new Error('materialization produced no valid output');
  await rm(join(work, 'streamable'), { recursive: true, force: true });
  return { seconds: elapsed, durations: result.segmentDurationsSeconds };
}

async function main(): Promise<number> {
  const work = await mkdtemp(join(tmpdir(), 'lx-bench-pipeline-'));
  let ok = true;
  try {
    const variant = DEMO_VARIANTS.long;
    const source = join(work, variant.file);
    process.stdout.write(`generating ${variant.file} (${variant.width}×${variant.height}, ${variant.durationSeconds} s) …\n`);
    let start = process.hrtime.bigint();
    await makeDemoVideo(tools, variant, source);
    process.stdout.write(`  generated in ${seconds(start).toFixed(1)} s\n`);

    // 1. HLS, alternating bare/ours so background load hits both alike; the best run of each counts.
    const bare: number[] = [];
    const ours: number[] = [];
    const timed = await timedFfmpeg(work);
    let durations: readonly number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const first = round % 2 === 0;
      if (first) bare.push(await bareHls(work, source, round));
      const mine = await ourHls(work, source, round, timed.path);
      ours.push(mine.seconds);
      durations = mine.durations;
      if (!first) bare.push(await bareHls(work, source, round));
      process.stdout.write(`  round ${round + 1}: bare ffmpeg ${bare[round]!.toFixed(2)} s, materializeHls ${mine.seconds.toFixed(2)} s\n`);
    }
    const ratio = Math.min(...ours) / Math.min(...bare);
    const realtime = variant.durationSeconds / Math.min(...bare);
    const body = durations.slice(0, -1);
    const segmentsOk = body.length > 0 && body.every((d) => Math.abs(d - 4) < 0.05) && durations[durations.length - 1]! <= 4.05;
    // Other work on the host skews wall times; the load average says how much to trust them.
    process.stdout.write(`host load average (1/5/15 min): ${loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${availableParallelism()} CPUs\n`);
    process.stdout.write(`HLS materialization: ${Math.min(...ours).toFixed(2)} s vs bare ffmpeg ${Math.min(...bare).toFixed(2)} s → ratio ${ratio.toFixed(3)} (target ≤ ${HLS_RATIO_TARGET}); encoder at ${realtime.toFixed(2)}× realtime, threads ${threads}\n`);
    const inner = (await readFile(timed.log, 'utf8')).trim().split('\n').map((line) => {
      const [a, b] = line.split(' ').map(Number);
      return b! - a!;
    });
    const overheadSeconds = ours.map((total, i) => total - inner[i]!);
    const overheadRatio = Math.max(...ours.map((total, i) => total / inner[i]!));
    process.stdout.write(
      `  time materializeHls spends outside ffmpeg: ${overheadSeconds.map((s) => s.toFixed(3)).join(', ')} s → materializeHls / its own ffmpeg run ≤ ${overheadRatio.toFixed(4)}\n`,
    );
    process.stdout.write(`HLS segments: ${durations.length} × [${durations.map((d) => d.toFixed(2)).join(', ')}] s (target 4 s)\n`);
    if (ratio > HLS_RATIO_TARGET || overheadRatio > HLS_RATIO_TARGET || !segmentsOk) ok = false;

    // 2. Overlay OCR on the same clip: 24 sampled frames × the preset's overlay rectangles.
    const probe = await probeVideo(tools, source);
    const geometry = fitGeometryToVideo(PROCESSORS.find((p) => p.name === 'olympus_cv_1500')!, probe.width, probe.height)!;
    const ocr = new TesseractOcr(tools);
    start = process.hrtime.bigint();
    const result = await readOverlayMetadata({ tools, ocr }, { videoPath: source, frameIndex: probe.frameIndex, frameWidth: probe.width, frameHeight: probe.height, geometry, tempRoot: join(work, 'ocr') });
    const total = seconds(start);
    const cropsPerSecond = result.cropCount / result.ocrSeconds;
    process.stdout.write(
      `overlay OCR: ${result.cropCount} crops in ${result.ocrSeconds.toFixed(2)} s → ${cropsPerSecond.toFixed(1)} crops/s with ${ocr.processes} tesseract processes (target ≥ ${OCR_CROPS_PER_SECOND_TARGET}); whole overlay read incl. frame decoding ${total.toFixed(2)} s\n`,
    );
    const read = Object.entries(result.candidates).map(([field, c]) => `${field}=${c!.confidence.toFixed(2)}`);
    process.stdout.write(`  fields read (confidence): ${read.join(', ')}\n`);
    if (cropsPerSecond < OCR_CROPS_PER_SECOND_TARGET) ok = false;

    // 3. The whole import: watcher hand-off, job, raw copy, probe, overlay OCR, mask, release gate, encrypted store.
    const drop = await measureVideoDrop(join(work, 'drop'), source);
    const dropRatio = drop.wallSeconds / drop.toolSeconds;
    process.stdout.write(
      `drop → ${drop.status}: ${drop.wallSeconds.toFixed(2)} s vs ${drop.toolSeconds.toFixed(2)} s inside ffmpeg/ffprobe/tesseract (${drop.toolRuns} runs) → ratio ${dropRatio.toFixed(3)} (target ≤ ${DROP_RATIO_TARGET})\n`,
    );
    if (drop.status !== 'anonymized' || dropRatio > DROP_RATIO_TARGET) ok = false;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  process.stdout.write(ok ? 'pipeline: all targets met\n' : 'pipeline: TARGET MISSED\n');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

// Drop → done_processing_anonymization of one video through the real watcher, job queue and
// video pipeline, with the external tools behind timing wrappers: the time spent inside
// ffmpeg/ffprobe/tesseract (the union of their run intervals: tesseract runs in parallel) is
// what the bare tool steps cost; the rest is the pipeline's own overhead.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { migrateToLatest } from '../../apps/server/src/db/index.js';
import { ensureRuntimeDirectories } from '../../apps/server/src/features/admin/index.js';
import { FileWatcher, WatcherHandoff } from '../../apps/server/src/features/ingest/index.js';
import { createLogger } from '../../apps/server/src/log/logger.js';
import { compose } from '../../apps/server/src/main/compose.js';
import { configFrom } from '../../apps/server/test/helpers/env.js';

/** Real binaries wrapped so that each run appends `<start> <end>` (seconds) to one log. */
async function toolWrappers(dir: string): Promise<{ dir: string; log: string }> {
  const log = join(dir, 'tool-times.log');
  await mkdir(dir, { recursive: true });
  for (const tool of ['ffmpeg', 'ffprobe', 'tesseract']) {
    await writeFile(join(dir, tool), `#!/bin/sh\nstart=$(date +%s.%N)\n/usr/bin/${tool} "$@"\nrc=$?\necho "$start $(date +%s.%N)" >> ${log}\nexit $rc\n`, { mode: 0o755 });
  }
  return { dir, log };
}

/** Total length of the union of [start, end] intervals. */
function unionSeconds(intervals: readonly [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let current: [number, number] | undefined;
  for (const [a, b] of sorted) {
    if (!current || a > current[1]) {
      if (current) total += current[1] - current[0];
      current = [a, b];
    } else current[1] = Math.max(current[1], b);
  }
  return total + (current ? current[1] - current[0] : 0);
}

export interface DropMeasurement {
  readonly wallSeconds: number;
  readonly toolSeconds: number;
  readonly toolRuns: number;
  readonly status: string;
}

/** Drops `video` into a fresh SQLite system's video import directory and waits for the upload job to finish. */
export async function measureVideoDrop(work: string, video: string): Promise<DropMeasurement> {
  const wrappers = await toolWrappers(join(work, 'tools'));
  const savedPath = process.env.PATH;
  process.env.PATH = `${wrappers.dir}:${savedPath ?? '/usr/bin:/bin'}`;
  const dataRoot = join(work, 'data');
  const config = configFrom({
    DJANGO_ENV: 'test',
    DATA_DIR: dataRoot,
    LX_ANNOTATE_MASTER_KEY: randomBytes(32).toString('base64url'),
    LX_ANNOTATE_DEFAULT_CENTER: 'lx-annotate-center',
    FFMPEG_EXECUTABLE: join(wrappers.dir, 'ffmpeg'),
  });
  await ensureRuntimeDirectories(config.settings);
  const runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
  try {
    const { db } = runtime;
    await migrateToLatest(db);
    await runtime.knowledgeBase.loadBaseData({ defaultCenterKey: 'lx-annotate-center' });
    // Only the pipeline queue: HLS (ffmpeg_media) follows the done state and is measured on its own.
    const worker = await runtime.jobQueue.work(['pipeline'], runtime.jobs.forQueues(['pipeline']), { concurrency: 1 });
    const dropDir = runtime.settings.paths.importDirs.video;
    const start = process.hrtime.bigint();
    await copyFile(video, join(dropDir, '.drop.partial'));
    await rename(join(dropDir, '.drop.partial'), join(dropDir, 'demo.mp4'));
    await new FileWatcher({
      dirs: runtime.settings.paths.importDirs,
      handoff: new WatcherHandoff({ ingest: runtime.ingest.core, recovery: runtime.ingest.recovery, defaultCenterKey: 'lx-annotate-center', logger: runtime.logger }),
      logger: runtime.logger,
      stableAfterMs: 0,
      pollMs: 50,
      usePolling: false,
      storageRoot: runtime.settings.paths.storageDir,
      maxWaitMs: 10_000,
    }).runOnce();
    let status = 'pending';
    for (;;) {
      const row = await db.selectFrom('upload_jobs').select(['status']).executeTakeFirst();
      status = row?.status ?? 'pending';
      if (status === 'anonymized' || status === 'error') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    await worker.stop({ graceMs: 1000 });
    const intervals = (await readFile(wrappers.log, 'utf8').catch(() => ''))
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split(' ').map(Number) as [number, number]);
    return { wallSeconds, toolSeconds: unionSeconds(intervals), toolRuns: intervals.length, status };
  } finally {
    process.env.PATH = savedPath;
    await runtime.close();
  }
}

// Shared by the video pipeline tests: the real runtime with API, worker and watcher on one
// SQLite database, the demo identity, and checks that nothing was left in temp directories.
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ensureRuntimeDirectories } from '../../src/features/admin/index.js';
import { FileWatcher, WatcherHandoff } from '../../src/features/ingest/index.js';
import type { App } from '../../src/http/app.js';
import type { Worker } from '../../src/jobs/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createApiApp } from '../../src/main/api.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { createTestDatabase, type TestDatabase, type TestEngine } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { ingestEnv, signIn, type Session } from './ingest-support.js';

export interface VideoTestSystem {
  readonly t: TestDatabase;
  readonly runtime: Runtime;
  readonly app: App;
  readonly base: string;
  readonly dataRoot: string;
  readonly sessions: Record<'klinikA' | 'klinikB', Session>;
  readonly worker: Worker;
  dispose(): Promise<void>;
}

/** API + worker (pipeline and ffmpeg_media queues) in this process, users of two centers signed in; `extraEnv` adds settings. */
export async function startVideoSystem(engine: TestEngine = 'sqlite', extraEnv: Record<string, string> = {}): Promise<VideoTestSystem> {
  const t = await createTestDatabase(engine);
  const dataRoot = tempDataRoot('lx-video-');
  const config = configFrom(ingestEnv(t.env, dataRoot, { LX_ANNOTATE_HLS_FFMPEG_THREADS: '2', FFMPEG_TRANSCODE_TIMEOUT_SECONDS: '300', ...extraEnv }));
  await ensureRuntimeDirectories(config.settings);
  const runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
  await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' });
  await runtime.centers.ensureCenter({ name: 'Klinik B', centerKey: 'klinik-b' });
  await runtime.knowledgeBase.loadBaseData({ defaultCenterKey: 'klinik-a' });
  const app = createApiApp(runtime);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const roles = ['video:write', 'data:write', 'patient:write', 'anonymization:write'];
  await runtime.auth.users.create({ username: 'arzt-a', password: 'Sommer-Endoskopie-7', roles, centerKeys: ['klinik-a'] }, 'test');
  await runtime.auth.users.create({ username: 'arzt-b', password: 'Sommer-Endoskopie-7', roles, centerKeys: ['klinik-b'] }, 'test');
  const sessions = { klinikA: await signIn(base, 'arzt-a'), klinikB: await signIn(base, 'arzt-b') };
  const worker = await runtime.jobQueue.work(['pipeline', 'ffmpeg_media'], runtime.jobs.forQueues(['pipeline', 'ffmpeg_media']), { concurrency: 1 });
  return {
    t,
    runtime,
    app,
    base,
    dataRoot,
    sessions,
    worker,
    async dispose() {
      await worker.stop({ graceMs: 2000 });
      await app.close();
      await runtime.close();
      await t.dispose();
    },
  };
}

/** One pass of the real file watcher over the drop directories (the video one included). */
export async function runWatcherOnce(system: VideoTestSystem): Promise<void> {
  const { runtime } = system;
  await new FileWatcher({
    dirs: runtime.settings.paths.importDirs,
    handoff: new WatcherHandoff({ ingest: runtime.ingest.core, recovery: runtime.ingest.recovery, defaultCenterKey: 'klinik-a', logger: runtime.logger }),
    logger: runtime.logger,
    stableAfterMs: 200,
    pollMs: 100,
    usePolling: false,
    storageRoot: runtime.settings.paths.storageDir,
    maxWaitMs: 10_000,
  }).runOnce();
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Files (not directories) below the storage temp tree: decrypted video, crops and key files must never stay. */
export async function tempFilesLeft(system: VideoTestSystem): Promise<string[]> {
  const temp = join(system.runtime.settings.paths.storageDir, 'temp');
  const entries = await readdir(temp, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => !e.isDirectory()).map((e) => relative(temp, join(e.parentPath, e.name))).sort();
}

/** JSON or binary request with a session. */
export async function get(system: VideoTestSystem, session: Session, path: string): Promise<Response> {
  return fetch(`${system.base}${path}`, { headers: session.headers });
}

export async function post(system: VideoTestSystem, session: Session, path: string, body: unknown = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(`${system.base}${path}`, { method: 'POST', headers: { ...session.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

// Crash safety of the ingest paths with real processes killed by SIGKILL: the web process
// mid-upload, the watcher mid-hand-off and a worker mid-job. After a restart every input is either
// still where it was or represented by one job that completes; nothing is ingested twice.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { ensureRuntimeDirectories } from '../../src/features/admin/index.js';
import { createLogger } from '../../src/log/logger.js';
import { compose, type Runtime } from '../../src/main/compose.js';
import { createTestDatabase, ENGINES, type TestDatabase } from '../helpers/engines.js';
import { configFrom, tempDataRoot } from '../helpers/env.js';
import { childEnv, REPO_ROOT, runCliProcess, startServer } from '../helpers/processes.js';
import { fakeMp4, ingestEnv, signIn, streamUpload } from './ingest-support.js';

const MIB = 1024 * 1024;
const CLI = [process.execPath, '--conditions=development', '--import', 'tsx', resolve(REPO_ROOT, 'apps/server/src/main/cli.ts')];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Fixture {
  readonly t: TestDatabase;
  readonly dataRoot: string;
  readonly env: Record<string, string>;
  readonly runtime: Runtime;
  dispose(): Promise<void>;
}

async function fixture(engine: (typeof ENGINES)[number], extra: Record<string, string> = {}): Promise<Fixture> {
  const t = await createTestDatabase(engine);
  const dataRoot = tempDataRoot();
  const env = ingestEnv(t.env, dataRoot, extra);
  const config = configFrom(env);
  await ensureRuntimeDirectories(config.settings);
  const runtime = compose(config, { logger: createLogger({ level: 'silent' }) });
  await runtime.centers.ensureCenter({ name: 'Klinik A', centerKey: 'klinik-a' });
  await runtime.auth.users.create({ username: 'uploader', password: 'Sommer-Endoskopie-7', roles: ['data:write', 'patient:read'], centerKeys: ['klinik-a'] }, 'test');
  return {
    t,
    dataRoot,
    env,
    runtime,
    async dispose() {
      await runtime.close();
      await t.dispose();
    },
  };
}

function spawnCli(args: string[], env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(CLI[0] as string, [...CLI.slice(1), ...args], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

const listDir = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);
const finalNames = (dir: string): string[] => listDir(dir).filter((n) => !n.startsWith('.'));
const tempNames = (dir: string): string[] => listDir(dir).filter((n) => n.startsWith('.') && n.endsWith('.tmp'));

for (const engine of ENGINES) {
  describe(`crash safety of ingest on ${engine}`, () => {
    test('kill -9 of the web process mid-upload: no job and no final file; the client retries and succeeds', async () => {
      const f = await fixture(engine);
      const apiDir = join(f.dataRoot, 'storage', 'upload_jobs', 'api');
      try {
        let server = await startServer(f.env);
        let session = await signIn(server.baseUrl, 'uploader');
        const size = 192 * MIB;
        let killed: Promise<void> | undefined;
        const attempt = streamUpload(`${server.baseUrl}/api/upload/`, { ...session.headers, 'idempotency-key': 'crash-web-1' }, 'Koloskopie.mp4', size, {
          head: fakeMp4(64),
          onProgress: (sent) => {
            if (!killed && sent >= 48 * MIB && tempNames(apiDir).length > 0) killed = killHard(server.child);
          },
        });
        await assert.rejects(attempt, 'the connection breaks with the server');
        assert.ok(killed, 'killed while the body was streaming into storage');
        await killed;
        assert.deepEqual(finalNames(apiDir), [], 'no file under a final name');
        assert.equal((await f.runtime.db.selectFrom('upload_jobs').select('id').execute()).length, 0, 'no job');

        server = await startServer(f.env);
        try {
          session = await signIn(server.baseUrl, 'uploader');
          const retried = await streamUpload(`${server.baseUrl}/api/upload/`, { ...session.headers, 'idempotency-key': 'crash-web-1' }, 'Koloskopie.mp4', 8 * MIB, { head: fakeMp4(64) });
          assert.equal(retried.status, 201, retried.body);
          const jobs = await f.runtime.db.selectFrom('upload_jobs').selectAll().execute();
          assert.equal(jobs.length, 1);
          assert.deepEqual(finalNames(apiDir), [`${jobs[0]!.id}.mp4`]);
          // The killed write's temp file is swept once it is old enough.
          const swept = await f.runtime.ingest.recovery.sweep(Date.now() + 2 * 3600_000);
          assert.equal(tempNames(apiDir).length, 0);
          assert.equal(swept.removedOrphans, 0, 'the job-owned copy is kept');
          assert.deepEqual(finalNames(apiDir), [`${jobs[0]!.id}.mp4`]);
        } finally {
          await server.stop();
        }
      } finally {
        await f.dispose();
      }
    });

    test('kill -9 of the watcher mid-hand-off: the file stays in its drop dir, the next run ingests it once and a worker completes it', async () => {
      const f = await fixture(engine, { WATCHER_STABLE_AFTER_SECONDS: '0', WATCHER_POLL_INTERVAL_SECONDS: '1' });
      const dropDir = join(f.dataRoot, 'import', 'preanonymized_import');
      const storedDir = join(f.dataRoot, 'storage', 'upload_jobs', 'preanonymized');
      let worker: ReturnType<typeof spawnCli> | undefined;
      try {
        const video = fakeMp4(320 * MIB);
        const hash = createHash('sha256').update(video).digest('hex');
        writeFileSync(join(dropDir, '.incoming.mp4.partial'), video);
        writeFileSync(join(dropDir, 'untersuchung.json'), JSON.stringify({ casenumber: 'F-9', examination_date: '2024-03-01' }));
        renameSync(join(dropDir, '.incoming.mp4.partial'), join(dropDir, 'untersuchung.mp4'));
        const watcher = spawnCli(['watch'], f.env);
        await waitFor('the watcher copying into storage', () => tempNames(storedDir).length > 0 || undefined, 60_000, 5).catch((error: Error) => {
          throw new Error(`${error.message}\n${watcher.output()}`);
        });
        await killHard(watcher.child);
        const jobsAfterKill = await f.runtime.db.selectFrom('upload_jobs').select(['id', 'status']).where('content_hash', '=', hash).execute();
        const stillDropped = existsSync(join(dropDir, 'untersuchung.mp4'));
        assert.ok(stillDropped || jobsAfterKill.length === 1, 'either still in the drop dir or represented by a job');
        assert.ok(stillDropped, 'killed before the job existed: the drop file must still be there');
        assert.equal(jobsAfterKill.length, 0);
        assert.deepEqual(finalNames(storedDir), [], 'no stored copy under a final name');

        const rerun = runCliProcess(['watch', '--once'], f.env);
        assert.equal(rerun.status, 0, rerun.stderr + rerun.stdout);
        assert.ok(!existsSync(join(dropDir, 'untersuchung.mp4')) && !existsSync(join(dropDir, 'untersuchung.json')));
        const jobs = await f.runtime.db.selectFrom('upload_jobs').selectAll().where('content_hash', '=', hash).execute();
        assert.equal(jobs.length, 1, 'ingested exactly once');

        worker = spawnCli(['worker', '--queues', 'pipeline'], f.env);
        const done = await waitFor(
          'the worker to complete the job',
          async () => {
            const row = await f.runtime.db.selectFrom('upload_jobs').select(['status', 'error_detail']).where('id', '=', jobs[0]!.id).executeTakeFirst();
            return row && row.status !== 'pending' && row.status !== 'processing' ? row : undefined;
          },
          120_000,
          100,
        ).catch((error: Error) => {
          throw new Error(`${error.message}\n${worker?.output()}`);
        });
        assert.equal(done.status, 'anonymized', done.error_detail);
        const videos = await f.runtime.db.selectFrom('video_files').select(['id', 'processed_file']).where('video_hash', '=', hash).execute();
        assert.equal(videos.length, 1);
        assert.ok(existsSync(join(f.dataRoot, 'storage', videos[0]!.processed_file!)));
      } finally {
        if (worker) await killHard(worker.child);
        await f.dispose();
      }
    });
  });
}

describe('crash safety: kill -9 of a worker mid-job', { concurrency: 2 }, () => {
  for (const engine of ENGINES) {
    test(`${engine}: the lease expires and another worker completes the job exactly once`, { timeout: 240_000 }, async () => {
      const f = await fixture(engine);
      let first: ReturnType<typeof spawnCli> | undefined;
      let second: ReturnType<typeof spawnCli> | undefined;
      try {
        // A preanonymized video job, created the way the watcher does it, large enough to be caught mid-copy.
        const core = f.runtime.ingest.core;
        const id = core.newJobId();
        const head = fakeMp4(64);
        const chunk = randomBytes(MIB);
        const hash = createHash('sha256');
        async function* payload(): AsyncGenerator<Buffer> {
          for (let i = 0; i < 384; i += 1) {
            const piece = i === 0 ? Buffer.concat([head, chunk.subarray(head.length)]) : chunk;
            hash.update(piece);
            yield piece;
          }
        }
        const stored = await core.storeSource(core.storedPathFor('upload_preanonymized', id, '.mp4'), payload());
        const center = await f.runtime.centers.byKey('klinik-a');
        await core.ingest({
          id,
          stored,
          contentType: 'video/mp4',
          centerId: center!.id,
          sourceSystem: 'watcher',
          idempotencyKey: `watcher:${stored.sha256Hex}:1:${stored.sizeBytes}`,
          ingestMode: 'watcher',
          storageTier: 'upload_preanonymized',
          retentionPolicy: 'delete_after_success',
          originalFilename: 'gross.mp4',
          createdBy: null,
          provenance: { entrypoint: 'file_watcher', ingest_mode: 'watcher', file_type: 'video', ingest_variant: 'preanonymized', sidecar_payload: { casenumber: 'W-1' } },
        });
        assert.equal(stored.sha256Hex, hash.digest('hex'));

        first = spawnCli(['worker', '--queues', 'pipeline'], f.env);
        await waitFor(
          'the first worker to start processing',
          async () => (await f.runtime.db.selectFrom('upload_jobs').select('status').where('id', '=', id).executeTakeFirst())?.status === 'processing' || undefined,
          60_000,
          10,
        ).catch((error: Error) => {
          throw new Error(`${error.message}\n${first?.output()}`);
        });
        await killHard(first.child);
        const atKill = await f.runtime.db.selectFrom('upload_jobs').select('status').where('id', '=', id).executeTakeFirstOrThrow();
        assert.equal(atKill.status, 'processing', 'killed mid-job');

        second = spawnCli(['worker', '--queues', 'pipeline'], f.env);
        const done = await waitFor(
          'the second worker to complete the job after the lease expired',
          async () => {
            const row = await f.runtime.db.selectFrom('upload_jobs').select(['status', 'error_detail', 'cleanup_status']).where('id', '=', id).executeTakeFirst();
            // Done when terminal and, for a success, the source clean-up that follows it has run too.
            return row && row.status !== 'processing' && row.status !== 'pending' && row.cleanup_status !== 'eligible' ? row : undefined;
          },
          200_000,
          250,
        ).catch((error: Error) => {
          throw new Error(`${error.message}\n${second?.output()}`);
        });
        assert.equal(done.status, 'anonymized', done.error_detail);
        assert.equal(done.cleanup_status, 'completed');
        const videos = await f.runtime.db.selectFrom('video_files').select(['id', 'processed_file']).where('video_hash', '=', stored.sha256Hex).execute();
        assert.equal(videos.length, 1, 'one media record');
        assert.ok(existsSync(join(f.dataRoot, 'storage', videos[0]!.processed_file!)));
        assert.ok(!existsSync(join(f.dataRoot, 'storage', stored.relativePath)), 'the stored upload copy was cleaned up');
        const queued = (await f.runtime.jobQueue.list({ name: 'ingest.process_upload_job', limit: 10 })).find((j) => (j.payload as { uploadJobId: string }).uploadJobId === id);
        assert.ok(queued && queued.attempts >= 2, `the job ran again after the lease expired (attempts ${queued?.attempts})`);
      } finally {
        if (first) await killHard(first.child);
        if (second) await killHard(second.child);
        await f.dispose();
      }
    });
  }
});

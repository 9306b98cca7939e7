import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../test/helpers/engines.js';
import { REPO_ROOT } from '../../test/helpers/processes.js';
import { createLogger } from '../log/logger.js';
import { Invalid } from '../shared/errors.js';
import {
  createJobQueue,
  defineJob,
  enqueueJob,
  enqueuePeriodicJobs,
  PermanentJobError,
  purgeFinishedJobsJob,
  QUEUE_ROLES,
  type JobQueue,
  type JobRecord,
  type QueueRole,
  type Worker,
} from './index.js';

const LEASE_SECONDS = 2;
const CRASH_WORKER = resolve(fileURLToPath(new URL('.', import.meta.url)), 'testdata/crash-worker.ts');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const logger = createLogger({ level: 'silent' });

async function waitFor<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

for (const engine of ENGINES) {
  describe(`job queue contract on ${engine}`, () => {
    let t: TestDatabase;
    const open: Array<{ queue: JobQueue; workers: Worker[] }> = [];
    before(async () => {
      t = await createTestDatabase(engine);
    });
    afterEach(async () => {
      for (const o of open.splice(0)) {
        await Promise.all(o.workers.map((w) => w.stop({ graceMs: 2000 })));
        await o.queue.close();
      }
    });
    after(() => t.dispose());

    /** A queue whose physical queue names are private to one test, so tests never see each other's jobs. */
    function queueFor(): { queue: JobQueue; names: Record<QueueRole, string>; work: JobQueue['work'] } {
      const suffix = randomUUID().slice(0, 8);
      const names = Object.fromEntries(QUEUE_ROLES.map((r) => [r, `${r}_${suffix}`])) as Record<QueueRole, string>;
      const queue = createJobQueue({ database: t.config, queues: names }, t.db, logger, { leaseSeconds: LEASE_SECONDS, pollIntervalMs: 100 });
      const entry = { queue, workers: [] as Worker[] };
      open.push(entry);
      const work: JobQueue['work'] = async (...args) => {
        const worker = await queue.work(...args);
        entry.workers.push(worker);
        return worker;
      };
      return { queue, names, work };
    }

    const settled = (queue: JobQueue, id: string, state: JobRecord['state']): Promise<JobRecord> =>
      waitFor(async () => {
        const job = await queue.get(id);
        return job?.state === state ? job : undefined;
      }, `job ${id} to be ${state}`);

    test('enqueue, work, complete', async () => {
      const { queue, names, work } = queueFor();
      const seen: Array<{ payload: unknown; attempt: number; jobId: string }> = [];
      const echo = defineJob({
        name: 'test.echo',
        queue: 'pipeline',
        payload: z.object({ videoId: z.number().int() }),
        async handler(payload, context) {
          seen.push({ payload, attempt: context.attempt, jobId: context.jobId });
        },
      });
      const id = await enqueueJob(queue, echo, { videoId: 7 });
      const queued = await queue.get(id);
      assert.equal(queued?.state, 'queued');
      assert.equal(queued?.queue, names.pipeline);
      assert.equal(queued?.attempts, 0);
      await work(['pipeline'], [echo]);
      const done = await settled(queue, id, 'completed');
      assert.deepEqual(seen, [{ payload: { videoId: 7 }, attempt: 1, jobId: id }]);
      assert.equal(done.name, 'test.echo');
      assert.equal(done.attempts, 1);
      assert.equal(done.maxAttempts, echo.retry.limit + 1);
      assert.ok(done.startedAt && done.finishedAt && done.finishedAt >= done.startedAt);
      assert.deepEqual(done.payload, { videoId: 7 });
    });

    test('an invalid payload fails at once without retries; enqueueJob refuses it up front', async () => {
      const { queue, work } = queueFor();
      let calls = 0;
      const strict = defineJob({
        name: 'test.strict',
        queue: 'pipeline',
        payload: z.object({ videoId: z.number().int() }),
        retry: { limit: 3, backoffSeconds: 1, maxBackoffSeconds: 1 },
        async handler() {
          calls += 1;
        },
      });
      await assert.rejects(enqueueJob(queue, strict, { videoId: 'x' as unknown as number }), Invalid);
      // Stored by an older release or another process: the worker still refuses it.
      const id = await queue.enqueue('pipeline', 'test.strict', { videoId: 'not a number' }, { retry: strict.retry });
      const orphan = await queue.enqueue('pipeline', 'test.nobody-handles-this', {}, { retry: strict.retry });
      await work(['pipeline'], [strict]);
      const failed = await settled(queue, id, 'failed');
      assert.equal(failed.attempts, 1);
      assert.match(failed.lastError ?? '', /^invalid payload: videoId: invalid_type/);
      assert.equal(calls, 0);
      const unknown = await settled(queue, orphan, 'failed');
      assert.equal(unknown.attempts, 1);
      assert.match(unknown.lastError ?? '', /no handler for job "test.nobody-handles-this"/);
    });

    test('retries with capped exponential backoff, then succeeds', async () => {
      const { queue, work } = queueFor();
      const startedAtMs: number[] = [];
      const flaky = defineJob({
        name: 'test.flaky',
        queue: 'inference',
        payload: z.object({}),
        // Uncapped the delays would be 1, 2, 4 s; the cap keeps every one at 1 s.
        retry: { limit: 5, backoffSeconds: 1, maxBackoffSeconds: 1 },
        async handler(_p, context) {
          startedAtMs.push(Date.now());
          if (context.attempt < 4) throw new Error(`attempt ${context.attempt} failed`);
        },
      });
      const id = await enqueueJob(queue, flaky, {});
      await work(['inference'], [flaky]);
      const done = await settled(queue, id, 'completed');
      assert.equal(done.attempts, 4);
      assert.equal(startedAtMs.length, 4);
      assert.equal(done.lastError, 'attempt 3 failed');
      const gaps = startedAtMs.slice(1).map((ms, i) => ms - (startedAtMs[i] as number));
      for (const gap of gaps) assert.ok(gap >= 900, `retry came after ${gap} ms, before the 1 s backoff`);
      assert.ok((gaps[2] as number) < 3500, `third retry waited ${gaps[2]} ms: the 1 s cap was not applied`);
    });

    test('the retry limit ends in failed with the last (scrubbed) error; PermanentJobError is not retried', async () => {
      const { queue, work } = queueFor();
      const doomed = defineJob({
        name: 'test.doomed',
        queue: 'pipeline',
        payload: z.object({ videoId: z.number() }),
        retry: { limit: 1, backoffSeconds: 1, maxBackoffSeconds: 5 },
        async handler(payload, context) {
          throw new Error(`boom on attempt ${context.attempt} for video ${payload.videoId} reading /data/import/Mueller_Hans_1960.mp4 via postgres://lx:hunter2@db/lx password=hunter2`);
        },
      });
      const refused = defineJob({
        name: 'test.refused',
        queue: 'pipeline',
        payload: z.object({}),
        retry: { limit: 4, backoffSeconds: 1, maxBackoffSeconds: 1 },
        async handler() {
          throw new PermanentJobError('the processor geometry is missing');
        },
      });
      const id = await enqueueJob(queue, doomed, { videoId: 3 });
      const permanentId = await enqueueJob(queue, refused, {});
      await work(['pipeline'], [doomed, refused], { concurrency: 2 });
      const failed = await settled(queue, id, 'failed');
      assert.equal(failed.attempts, 2);
      assert.match(failed.lastError ?? '', /^boom on attempt 2 for video 3/);
      assert.doesNotMatch(failed.lastError ?? '', /Mueller|hunter2/);
      assert.ok(failed.finishedAt);
      const permanent = await settled(queue, permanentId, 'failed');
      assert.equal(permanent.attempts, 1);
      assert.equal(permanent.lastError, 'PermanentJobError: the processor geometry is missing');
    });

    test('dedupe: a pending or running job with the same key is returned instead of a new one', async () => {
      const { queue, work } = queueFor();
      const later = new Date(Date.now() + 60_000);
      const a = await queue.enqueue('pipeline', 'test.dedupe', { videoId: 1 }, { dedupeKey: 'video:1', runAt: later });
      assert.equal(await queue.enqueue('pipeline', 'test.dedupe', { videoId: 1 }, { dedupeKey: 'video:1' }), a);
      const other = await queue.enqueue('pipeline', 'test.dedupe', { videoId: 2 }, { dedupeKey: 'video:2', runAt: later });
      assert.notEqual(other, a);
      // Same key in another queue is another job.
      assert.notEqual(await queue.enqueue('inference', 'test.dedupe', { videoId: 1 }, { dedupeKey: 'video:1', runAt: later }), a);
      assert.equal(await queue.cancel(a), true);
      const b = await queue.enqueue('pipeline', 'test.dedupe', { videoId: 1 }, { dedupeKey: 'video:1' });
      assert.notEqual(b, a);

      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const job = defineJob({ name: 'test.dedupe', queue: 'pipeline', payload: z.object({ videoId: z.number() }), handler: () => gate });
      await queue.cancel(other);
      await work(['pipeline'], [job]);
      await waitFor(async () => (await queue.get(b))?.state === 'active', 'the deduped job to run');
      assert.equal(await queue.enqueue('pipeline', 'test.dedupe', { videoId: 1 }, { dedupeKey: 'video:1' }), b, 'an active job dedupes too');
      release();
      await settled(queue, b, 'completed');
      const c = await queue.enqueue('pipeline', 'test.dedupe', { videoId: 1 }, { dedupeKey: 'video:1' });
      assert.notEqual(c, b, 'a finished job does not block a new one');
      await settled(queue, c, 'completed');
    });

    test('a job with runAt in the future waits until then', async () => {
      const { queue, work } = queueFor();
      let ranAtMs = 0;
      const timed = defineJob({
        name: 'test.timed',
        queue: 'maintenance',
        payload: z.object({}),
        async handler() {
          ranAtMs = Date.now();
        },
      });
      await work(['maintenance'], [timed]);
      const runAt = new Date(Date.now() + 1500);
      const id = await enqueueJob(queue, timed, {}, { runAt });
      await sleep(700);
      const early = await queue.get(id);
      if (Date.now() < runAt.getTime() - 100) assert.equal(early?.state, 'queued');
      await settled(queue, id, 'completed');
      assert.ok(ranAtMs >= runAt.getTime() - 50, `ran ${runAt.getTime() - ranAtMs} ms early`);
      assert.equal((await queue.get(id))?.runAt, runAt.toISOString());
    });

    test('per-queue concurrency is respected', async () => {
      const { queue, work } = queueFor();
      const active = { pipeline: 0, inference: 0 };
      const peak = { pipeline: 0, inference: 0 };
      const make = (role: 'pipeline' | 'inference') =>
        defineJob({
          name: `test.parallel-${role}`,
          queue: role,
          payload: z.object({ n: z.number() }),
          async handler() {
            active[role] += 1;
            peak[role] = Math.max(peak[role], active[role]);
            await sleep(150);
            active[role] -= 1;
          },
        });
      const jobs = { pipeline: make('pipeline'), inference: make('inference') };
      const ids: string[] = [];
      for (let n = 0; n < 8; n += 1) {
        ids.push(await enqueueJob(queue, jobs.pipeline, { n }), await enqueueJob(queue, jobs.inference, { n }));
      }
      await work(['pipeline', 'inference'], [jobs.pipeline, jobs.inference], { concurrency: { pipeline: 3, inference: 1 } });
      for (const id of ids) await settled(queue, id, 'completed');
      assert.equal(peak.pipeline, 3);
      assert.equal(peak.inference, 1);
    });

    test('a job whose worker is killed mid-job is picked up again after its lease and completes once more', async () => {
      const { queue, names, work } = queueFor();
      const id = await queue.enqueue('pipeline', 'test.crash', { n: 1 }, { retry: { limit: 2, backoffSeconds: 1, maxBackoffSeconds: 1 } });
      const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', CRASH_WORKER], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...t.env, CELERY_PIPELINE_QUEUE: names.pipeline, LEASE_SECONDS: String(LEASE_SECONDS) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
      try {
        await waitFor(async () => output.includes(`claimed ${id} 1`), `the child worker to claim the job (output: ${output})`, 60_000);
        // The child heartbeats: the job stays active for longer than one lease while it lives.
        await sleep(LEASE_SECONDS * 1000 + 500);
        assert.equal((await queue.get(id))?.state, 'active');
      } finally {
        child.kill('SIGKILL');
      }
      assert.equal(await exited, 'SIGKILL');

      const runs: number[] = [];
      const crash = defineJob({
        name: 'test.crash',
        queue: 'pipeline',
        payload: z.object({ n: z.number() }),
        async handler(_p, context) {
          runs.push(context.attempt);
        },
      });
      await work(['pipeline'], [crash]);
      const done = await settled(queue, id, 'completed');
      assert.deepEqual(runs, [2], 'exactly one more run, as attempt 2');
      assert.equal(done.attempts, 2);
      await sleep(LEASE_SECONDS * 1000);
      assert.deepEqual(runs, [2], 'no further run after completion');
    });

    test('graceful stop finishes in-flight work and claims nothing new; past the grace period the handler is aborted', async () => {
      const { queue, work } = queueFor();
      const started: string[] = [];
      const slow = defineJob({
        name: 'test.slow',
        queue: 'ffmpeg_media',
        payload: z.object({ n: z.number() }),
        async handler(_p, context) {
          started.push(context.jobId);
          await sleep(700);
        },
      });
      const first = await enqueueJob(queue, slow, { n: 1 });
      const worker = await work(['ffmpeg_media'], [slow]);
      await waitFor(async () => started.length === 1, 'the first job to start');
      const second = await enqueueJob(queue, slow, { n: 2 });
      const result = await worker.stop({ graceMs: 5000 });
      assert.deepEqual(result, { finished: 1, abandoned: 0 });
      assert.equal((await queue.get(first))?.state, 'completed');
      assert.equal((await queue.get(second))?.state, 'queued');
      assert.deepEqual(started, [first]);

      let aborted = false;
      const stubborn = defineJob({
        name: 'test.slow',
        queue: 'ffmpeg_media',
        payload: z.object({ n: z.number() }),
        handler: (_p, context) =>
          new Promise<void>((resolveRun) => {
            context.signal.addEventListener('abort', () => {
              aborted = true;
              resolveRun();
            });
          }),
      });
      const impatient = await work(['ffmpeg_media'], [stubborn]);
      await waitFor(async () => (await queue.get(second))?.state === 'active', 'the second job to start');
      assert.deepEqual(await impatient.stop({ graceMs: 200 }), { finished: 0, abandoned: 1 });
      assert.equal(aborted, true);
      // Not recorded as done: the lease runs out and another worker runs it again.
      assert.equal((await queue.get(second))?.state, 'active');
    });

    test('list, get and cancel (a cancelled running job is aborted and stays cancelled)', async () => {
      const { queue, names, work } = queueFor();
      const later = new Date(Date.now() + 3_600_000);
      const a = await queue.enqueue('pipeline', 'test.listed', { videoId: 1 }, { runAt: later, centerId: 4 });
      await sleep(5);
      const b = await queue.enqueue('pipeline', 'test.other', { pdfId: 2 }, { runAt: later });
      await sleep(5);
      const c = await queue.enqueue('hub_transfer', 'test.listed', { videoId: 3 }, { runAt: later });

      assert.deepEqual((await queue.list({ limit: 10 })).map((j) => j.id), [c, b, a], 'newest first');
      assert.deepEqual((await queue.list({ limit: 2 })).map((j) => j.id), [c, b]);
      assert.deepEqual((await queue.list({ queue: names.pipeline, limit: 10 })).map((j) => j.id), [b, a]);
      assert.deepEqual((await queue.list({ name: 'test.listed', limit: 10 })).map((j) => j.id), [c, a]);
      assert.deepEqual((await queue.list({ centerId: 4, limit: 10 })).map((j) => j.id), [a]);
      assert.deepEqual((await queue.list({ state: 'active', limit: 10 })).map((j) => j.id), []);
      const got = await queue.get(a);
      assert.equal(got?.centerId, 4);
      assert.equal(got?.state, 'queued');
      assert.equal(got?.runAt, later.toISOString());
      assert.equal(await queue.get(randomUUID()), undefined);
      assert.equal(await queue.get('not-a-uuid'), undefined);

      assert.equal(await queue.cancel(a), true);
      assert.equal(await queue.cancel(a), false, 'a finished job cannot be cancelled again');
      assert.equal(await queue.cancel(randomUUID()), false);
      const cancelled = await queue.get(a);
      assert.equal(cancelled?.state, 'cancelled');
      assert.ok(cancelled?.finishedAt);
      assert.deepEqual((await queue.list({ state: 'cancelled', limit: 10 })).map((j) => j.id), [a]);
      assert.deepEqual((await queue.list({ state: 'queued', limit: 10 })).map((j) => j.id), [c, b]);

      let sawAbort = false;
      let finishedNormally = false;
      const running = defineJob({
        name: 'test.cancel-me',
        queue: 'default',
        payload: z.object({}),
        handler: (_p, context) =>
          new Promise<void>((resolveRun) => {
            context.signal.addEventListener('abort', () => {
              sawAbort = true;
              finishedNormally = true;
              resolveRun();
            });
          }),
      });
      const d = await enqueueJob(queue, running, {});
      await work(['default'], [running]);
      await waitFor(async () => (await queue.get(d))?.state === 'active', 'the job to start');
      assert.equal(await queue.cancel(d), true);
      await waitFor(async () => sawAbort, 'the handler to see the abort', 10_000);
      assert.equal(finishedNormally, true);
      await sleep(300);
      assert.equal((await queue.get(d))?.state, 'cancelled', 'the handler returning after cancel does not complete the job');
    });

    test('the maintenance job purges finished jobs past retention and nothing else', async () => {
      const { queue, work } = queueFor();
      const quick = defineJob({ name: 'test.quick', queue: 'pipeline', payload: z.object({}), handler: async () => undefined });
      const doneId = await enqueueJob(queue, quick, {});
      const cancelledId = await queue.enqueue('pipeline', 'test.quick', {}, { runAt: new Date(Date.now() + 60_000) });
      await queue.cancel(cancelledId);
      const pendingId = await queue.enqueue('default', 'test.quick', {}, { runAt: new Date(Date.now() + 60_000) });
      await work(['pipeline'], [quick]);
      await settled(queue, doneId, 'completed');
      assert.equal(await queue.purgeFinished(new Date(Date.now() - 60_000)), 0, 'nothing is older than a minute');
      await sleep(20);

      // Retention 0 days: everything finished before now is past it.
      const purge = purgeFinishedJobsJob(0);
      const [purgeId] = await enqueuePeriodicJobs(queue, [purge]);
      assert.ok(purgeId);
      assert.equal(await enqueuePeriodicJobs(queue, [purge]).then((ids) => ids[0]), purgeId, 'periodic scheduling is deduplicated');
      await work(['maintenance'], [purge]);
      await settled(queue, purgeId, 'completed');
      assert.equal(await queue.get(doneId), undefined);
      assert.equal(await queue.get(cancelledId), undefined);
      assert.equal((await queue.get(pendingId))?.state, 'queued');
    });
  });
}

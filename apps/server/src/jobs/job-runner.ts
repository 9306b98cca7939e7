import type { Logger } from '../log/logger.js';
import { jobErrorText } from './error-text.js';
import { PermanentJobError, type JobHandlerSpec, type JobQueue, type StopResult, type Worker } from './job-queue.js';

/** A job taken by this worker; `fence` identifies this claim so a stale worker cannot record an outcome. */
export interface ClaimedJob {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly payload: unknown;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly fence: string;
}

/** What a backend provides to the shared worker loop. */
export interface RunnerBackend {
  /** Claims up to `max` due jobs of one queue and leases them to this worker. */
  claim(queue: string, max: number): Promise<ClaimedJob[]>;
  /** Extends the lease; false when the claim is gone (cancelled, or expired and taken over). */
  heartbeat(job: ClaimedJob): Promise<boolean>;
  /** Records success; false when the claim was gone. */
  complete(job: ClaimedJob): Promise<boolean>;
  /** Records a failed attempt: retried with backoff while retries remain and `retryable`, else failed. */
  fail(job: ClaimedJob, message: string, retryable: boolean): Promise<'retry' | 'failed' | 'lost'>;
  /** Periodic upkeep: jobs whose lease expired are made runnable again (or failed when out of attempts). */
  reap(): Promise<void>;
  /** Calls back on an enqueue in this process, so a local worker need not wait for its next poll. */
  onEnqueued(listener: (queue: string) => void): () => void;
}

export interface RunnerOptions {
  readonly queues: ReadonlyMap<string, number>;
  readonly handlers: readonly JobHandlerSpec[];
  readonly logger: Logger;
  readonly jobQueue: JobQueue;
  readonly pollIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly reapIntervalMs: number;
}

interface Running {
  readonly job: ClaimedJob;
  readonly abort: AbortController;
  leaseLost: boolean;
  abandoned: boolean;
  done: Promise<void>;
}

/** Resolves after `ms` or as soon as `wake()` is called, whichever comes first. */
class Sleeper {
  private wakeUp: (() => void) | undefined;
  private pending = false;

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.pending = true;
  }
}

/**
 * The worker loop shared by both backends: one claim loop per queue with a fixed
 * number of slots, one heartbeat timer for every running job, a reaper for
 * expired leases, payload validation before the handler, and a graceful stop.
 */
export function startRunner(backend: RunnerBackend, options: RunnerOptions): Worker {
  const { logger } = options;
  const handlers = new Map(options.handlers.map((h) => [h.name, h]));
  const running = new Set<Running>();
  const sleepers = new Map<string, Sleeper>([...options.queues.keys()].map((q) => [q, new Sleeper()]));
  let stopping = false;

  const unsubscribe = backend.onEnqueued((queue) => sleepers.get(queue)?.wake());

  const heartbeat = setInterval(() => {
    for (const r of running) {
      if (r.leaseLost || r.abandoned) continue;
      backend.heartbeat(r.job).then(
        (alive) => {
          if (alive || r.leaseLost) return;
          r.leaseLost = true;
          logger.warn({ jobId: r.job.id, job: r.job.name, queue: r.job.queue }, 'job lease lost (cancelled or taken over); its outcome will not be recorded here');
          r.abort.abort(new Error('lease lost'));
        },
        (error: unknown) => logger.warn({ jobId: r.job.id, error: jobErrorText(error) }, 'job heartbeat failed; retrying'),
      );
    }
  }, options.heartbeatIntervalMs);

  const reaper = setInterval(() => {
    backend.reap().catch((error: unknown) => logger.warn({ error: jobErrorText(error) }, 'reaping expired job leases failed'));
  }, options.reapIntervalMs);

  async function execute(r: Running): Promise<void> {
    const { job } = r;
    const log = logger.child({ jobId: job.id, job: job.name, queue: job.queue, attempt: job.attempt });
    // Called lazily: once the lease is lost or the job abandoned, this worker must not write an outcome.
    const record = async (outcome: () => Promise<unknown>, describe: (value: unknown) => string): Promise<void> => {
      if (r.leaseLost || r.abandoned) return;
      const value = await outcome();
      log.info({ outcome: describe(value) }, 'job finished');
    };
    const handler = handlers.get(job.name);
    if (!handler) {
      await record(() => backend.fail(job, `no handler for job "${job.name}" in this worker`, false), String);
      return;
    }
    const parsed = handler.payload.safeParse(job.payload);
    if (!parsed.success) {
      await record(() => backend.fail(job, jobErrorText(parsed.error), false), String);
      return;
    }
    const started = Date.now();
    log.info('job started');
    try {
      await handler.handler(parsed.data, {
        jobId: job.id,
        attempt: job.attempt,
        maxAttempts: job.maxAttempts,
        signal: r.abort.signal,
        logger: log,
        queue: options.jobQueue,
      });
    } catch (error) {
      const message = jobErrorText(error);
      log.warn({ error: message, durationMs: Date.now() - started }, 'job attempt failed');
      await record(() => backend.fail(job, message, !(error instanceof PermanentJobError)), String);
      return;
    }
    await record(() => backend.complete(job), (ok) => (ok ? 'completed' : 'lost'));
  }

  function launch(job: ClaimedJob, slotFreed: () => void): Running {
    const r: Running = { job, abort: new AbortController(), leaseLost: false, abandoned: false, done: Promise.resolve() };
    running.add(r);
    r.done = execute(r)
      .catch((error: unknown) => {
        // The outcome could not be written; the lease runs out and another attempt follows (at-least-once).
        logger.error({ jobId: job.id, error: jobErrorText(error) }, 'recording the job outcome failed');
      })
      .finally(() => {
        running.delete(r);
        slotFreed();
      });
    return r;
  }

  async function loop(queue: string, slots: number): Promise<void> {
    const sleeper = sleepers.get(queue) as Sleeper;
    let busy = 0;
    const slotFreed = (): void => {
      busy -= 1;
      sleeper.wake();
    };
    while (!stopping) {
      const free = slots - busy;
      let claimed = 0;
      if (free > 0) {
        try {
          const jobs = await backend.claim(queue, free);
          claimed = jobs.length;
          for (const job of jobs) {
            busy += 1;
            launch(job, slotFreed);
          }
        } catch (error) {
          logger.warn({ queue, error: jobErrorText(error) }, 'claiming jobs failed; retrying after the poll interval');
        }
      }
      // Free slots remain after a full claim: look again at once; otherwise wait for a slot, an enqueue or the poll.
      if (claimed > 0 && claimed === free && busy < slots) continue;
      if (!stopping) await sleeper.sleep(options.pollIntervalMs);
    }
  }

  const loops = [...options.queues].map(([queue, slots]) => loop(queue, slots));

  let stopped: Promise<StopResult> | undefined;
  async function stop(graceMs: number): Promise<StopResult> {
    stopping = true;
    unsubscribe();
    for (const s of sleepers.values()) s.wake();
    await Promise.all(loops);
    const inFlight = [...running];
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    await Promise.race([Promise.all(inFlight.map((r) => r.done)), graceOver]);
    clearTimeout(timer);
    const abandoned = [...running];
    for (const r of abandoned) {
      r.abandoned = true;
      r.abort.abort(new Error('worker stopping'));
      logger.warn({ jobId: r.job.id, job: r.job.name, queue: r.job.queue }, 'job abandoned at shutdown; it runs again after its lease expires');
    }
    clearInterval(heartbeat);
    clearInterval(reaper);
    return { finished: inFlight.length - abandoned.length, abandoned: abandoned.length };
  }

  return {
    queues: [...options.queues.keys()],
    stop: (opts = {}) => (stopped ??= stop(opts.graceMs ?? 30_000)),
  };
}

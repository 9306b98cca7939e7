import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { QueueRole } from '../config/index.js';
import { nowIso, type Db } from '../db/index.js';
import type { JobsTable } from '../db/schema.js';
import type { Logger } from '../log/logger.js';
import {
  JOB_STATES,
  LEASE_EXPIRED_MESSAGE,
  retryDelaySeconds,
  type EnqueueOptions,
  type JobHandlerSpec,
  type JobQueue,
  type JobRecord,
  type ListFilter,
  type Worker,
  type WorkOptions,
} from './job-queue.js';
import { startRunner, type ClaimedJob, type RunnerBackend } from './job-runner.js';
import { checkEnqueue, physicalQueues, QUEUE_ROLES, slotsPerQueue } from './queues.js';

export interface TableQueueOptions {
  readonly queues: Readonly<Record<QueueRole, string>>;
  readonly logger: Logger;
  /** A claimed job belongs to its worker this long after the last heartbeat (default 60 s). */
  readonly leaseSeconds?: number;
  /** How often an idle worker looks for jobs enqueued by other processes (default 500 ms). */
  readonly pollIntervalMs?: number;
}

const PENDING = ['queued', 'retry'] as const;

const Row = z.object({
  id: z.string(),
  queue: z.string(),
  name: z.string(),
  payload: z.string(),
  state: z.enum(JOB_STATES),
  center_id: z.number().nullable(),
  dedupe_key: z.string().nullable(),
  run_at: z.string(),
  attempts: z.number(),
  retry_limit: z.number(),
  last_error: z.string().nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  failed_at: z.string().nullable(),
  cancelled_at: z.string().nullable(),
});

function toRecord(raw: Selectable<JobsTable>): JobRecord {
  const row = Row.parse(raw);
  return {
    id: row.id,
    queue: row.queue,
    name: row.name,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.retry_limit + 1,
    payload: JSON.parse(row.payload) as unknown,
    dedupeKey: row.dedupe_key,
    centerId: row.center_id,
    runAt: row.run_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.completed_at ?? row.failed_at ?? row.cancelled_at,
    lastError: row.last_error,
  };
}

const isoAfter = (seconds: number): string => new Date(Date.now() + seconds * 1000).toISOString();

/**
 * The embedded queue: a `jobs` table in the SQLite database that api, worker and
 * watcher processes of one host share. A claim is one `UPDATE … RETURNING`, which
 * SQLite runs under its single write lock, so two workers never take the same
 * job. Each claim writes a fresh `lock_token` that every later write of that
 * attempt must match (fencing).
 */
export class SqliteJobQueue implements JobQueue {
  readonly backend = 'sqlite' as const;
  private readonly events = new EventEmitter();
  private readonly workers = new Set<Worker>();
  private readonly leaseSeconds: number;
  private readonly pollIntervalMs: number;
  private readonly workerId = `${hostname()}:${process.pid}`;

  constructor(
    private readonly db: Db,
    private readonly options: TableQueueOptions,
  ) {
    this.leaseSeconds = options.leaseSeconds ?? 60;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.events.setMaxListeners(0);
  }

  queueName(role: QueueRole): string {
    return this.options.queues[role];
  }

  /** Jobs of queues that are no longer configured are out of sight, as on pg-boss. */
  private configuredQueues(): string[] {
    return physicalQueues(this.options.queues, QUEUE_ROLES);
  }

  async enqueue(role: QueueRole, name: string, payload: unknown, options: EnqueueOptions = {}): Promise<string> {
    const checked = checkEnqueue(name, payload, options);
    const queue = this.queueName(role);
    const now = nowIso();
    const { dedupeKey, runAt, priority, centerId } = checked.options;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const inserted = await this.db
        .insertInto('jobs')
        .values({
          id: randomUUID(),
          queue,
          name,
          payload: checked.payloadJson,
          state: 'queued',
          priority: priority ?? 0,
          center_id: centerId ?? null,
          dedupe_key: dedupeKey ?? null,
          run_at: runAt ? runAt.toISOString() : now,
          retry_limit: checked.retry.limit,
          backoff_seconds: checked.retry.backoffSeconds,
          max_backoff_seconds: checked.retry.maxBackoffSeconds,
          lease_seconds: this.leaseSeconds,
          created_at: now,
          updated_at: now,
        })
        // Only the partial dedupe index can conflict (ids are fresh UUIDs).
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (inserted) {
        this.events.emit('enqueued', queue);
        return inserted.id;
      }
      const existing = await this.db
        .selectFrom('jobs')
        .select('id')
        .where('queue', '=', queue)
        .where('dedupe_key', '=', dedupeKey ?? '')
        .where('state', 'in', [...PENDING, 'active'])
        .executeTakeFirst();
      // The pending job may have finished between the two statements: then insert again.
      if (existing) return existing.id;
    }
    throw new Error(`job ${name}: could not enqueue with dedupe key (the pending job kept changing)`);
  }

  async work(roles: readonly QueueRole[], handlers: readonly JobHandlerSpec[], options: WorkOptions = {}): Promise<Worker> {
    const queues = slotsPerQueue(this.options.queues, roles, options);
    const runner = startRunner(this.runnerBackend(), {
      queues,
      handlers,
      logger: this.options.logger,
      jobQueue: this,
      pollIntervalMs: this.pollIntervalMs,
      heartbeatIntervalMs: Math.max(100, (this.leaseSeconds * 1000) / 4),
      reapIntervalMs: Math.max(100, (this.leaseSeconds * 1000) / 2),
    });
    const worker: Worker = {
      queues: runner.queues,
      stop: async (opts) => {
        try {
          return await runner.stop(opts);
        } finally {
          this.workers.delete(worker);
        }
      },
    };
    this.workers.add(worker);
    return worker;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).where('queue', 'in', this.configuredQueues()).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  async list(filter: ListFilter): Promise<JobRecord[]> {
    let query = this.db.selectFrom('jobs').selectAll().where('queue', 'in', filter.queue !== undefined ? [filter.queue] : this.configuredQueues());
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    if (filter.name !== undefined) query = query.where('name', '=', filter.name);
    if (filter.centerId !== undefined) query = query.where('center_id', '=', filter.centerId);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id').limit(filter.limit).execute();
    return rows.map(toRecord);
  }

  async cancel(id: string): Promise<boolean> {
    const now = nowIso();
    const result = await this.db
      .updateTable('jobs')
      .set({ state: 'cancelled', cancelled_at: now, updated_at: now, lock_token: null, locked_by: null, locked_until: null })
      .where('id', '=', id)
      .where('queue', 'in', this.configuredQueues())
      .where('state', 'in', [...PENDING, 'active'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async purgeFinished(finishedBefore: Date): Promise<number> {
    const cutoff = finishedBefore.toISOString();
    const result = await this.db
      .deleteFrom('jobs')
      .where('queue', 'in', this.configuredQueues())
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', 'completed'), eb('completed_at', '<', cutoff)]),
          eb.and([eb('state', '=', 'failed'), eb('failed_at', '<', cutoff)]),
          eb.and([eb('state', '=', 'cancelled'), eb('cancelled_at', '<', cutoff)]),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.stop()));
  }

  private runnerBackend(): RunnerBackend {
    return {
      claim: (queue, max) => this.claim(queue, max),
      heartbeat: async (job) => {
        const result = await this.db
          .updateTable('jobs')
          .set({ locked_until: isoAfter(this.leaseSeconds), updated_at: nowIso() })
          .where('id', '=', job.id)
          .where('lock_token', '=', job.fence)
          .where('state', '=', 'active')
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      },
      complete: async (job) => {
        const now = nowIso();
        const result = await this.db
          .updateTable('jobs')
          .set({ state: 'completed', completed_at: now, updated_at: now, lock_token: null, locked_by: null, locked_until: null })
          .where('id', '=', job.id)
          .where('lock_token', '=', job.fence)
          .where('state', '=', 'active')
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      },
      fail: (job, message, retryable) => this.fail(job, message, retryable),
      reap: () => this.failExhaustedLeases(),
      onEnqueued: (listener) => {
        this.events.on('enqueued', listener);
        return () => this.events.off('enqueued', listener);
      },
    };
  }

  /**
   * One statement takes the due jobs of a queue, including active jobs whose lease
   * ran out (their worker died) while attempts remain, and leases them to us.
   */
  private async claim(queue: string, max: number): Promise<ClaimedJob[]> {
    const now = nowIso();
    const token = randomUUID();
    const due = this.db
      .selectFrom('jobs')
      .select('id')
      .where('queue', '=', queue)
      .where((eb) =>
        eb.or([
          eb.and([eb('state', 'in', PENDING), eb('run_at', '<=', now)]),
          eb.and([eb('state', '=', 'active'), eb('locked_until', '<', now), eb('attempts', '<=', eb.ref('retry_limit'))]),
        ]),
      )
      .orderBy('priority', 'desc')
      .orderBy('run_at')
      .orderBy('created_at')
      .limit(max);
    // An idle poll only reads: the UPDATE would take SQLite's write lock even when nothing is due.
    if (!(await due.executeTakeFirst())) return [];
    const rows = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        state: 'active',
        attempts: eb('attempts', '+', 1),
        lock_token: token,
        locked_by: this.workerId,
        locked_until: isoAfter(this.leaseSeconds),
        started_at: now,
        updated_at: now,
        last_error: sql<string | null>`CASE WHEN state = 'active' THEN ${LEASE_EXPIRED_MESSAGE} ELSE last_error END`,
      }))
      .where('id', 'in', due)
      .returning(['id', 'queue', 'name', 'payload', 'attempts', 'retry_limit'])
      .execute();
    return rows.map((row) => ({
      id: row.id,
      queue: row.queue,
      name: row.name,
      payload: JSON.parse(row.payload) as unknown,
      attempt: row.attempts,
      maxAttempts: row.retry_limit + 1,
      fence: token,
    }));
  }

  private async fail(job: ClaimedJob, message: string, retryable: boolean): Promise<'retry' | 'failed' | 'lost'> {
    const row = await this.db
      .selectFrom('jobs')
      .select(['attempts', 'retry_limit', 'backoff_seconds', 'max_backoff_seconds'])
      .where('id', '=', job.id)
      .where('lock_token', '=', job.fence)
      .where('state', '=', 'active')
      .executeTakeFirst();
    if (!row) return 'lost';
    const now = nowIso();
    const retry = retryable && row.attempts <= row.retry_limit;
    const delaySeconds = retryDelaySeconds({ limit: row.retry_limit, backoffSeconds: row.backoff_seconds, maxBackoffSeconds: row.max_backoff_seconds }, row.attempts);
    const result = await this.db
      .updateTable('jobs')
      .set({
        state: retry ? 'retry' : 'failed',
        run_at: retry ? isoAfter(delaySeconds) : sql<string>`run_at`,
        failed_at: retry ? null : now,
        last_error: message,
        updated_at: now,
        lock_token: null,
        locked_by: null,
        locked_until: null,
      })
      .where('id', '=', job.id)
      .where('lock_token', '=', job.fence)
      .where('state', '=', 'active')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return 'lost';
    return retry ? 'retry' : 'failed';
  }

  /** Active jobs whose lease ran out with no attempt left fail here; the others are re-claimed by `claim`. */
  private async failExhaustedLeases(): Promise<void> {
    const now = nowIso();
    await this.db
      .updateTable('jobs')
      .set({ state: 'failed', failed_at: now, updated_at: now, last_error: LEASE_EXPIRED_MESSAGE, lock_token: null, locked_by: null, locked_until: null })
      .where('state', '=', 'active')
      .where('locked_until', '<', now)
      .where((eb) => eb('attempts', '>', eb.ref('retry_limit')))
      .execute();
  }
}

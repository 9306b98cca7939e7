import { EventEmitter } from 'node:events';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { z } from 'zod';
import type { PostgresConfig, QueueRole } from '../config/index.js';
import { postgresPoolConfig } from '../db/index.js';
import type { Logger } from '../log/logger.js';
import { jobErrorText } from './error-text.js';
import {
  DEFAULT_RETRY,
  LEASE_EXPIRED_MESSAGE,
  retryDelaySeconds,
  type EnqueueOptions,
  type JobHandlerSpec,
  type JobQueue,
  type JobRecord,
  type JobState,
  type ListFilter,
  type Worker,
  type WorkOptions,
} from './job-queue.js';
import { startRunner, type ClaimedJob, type RunnerBackend } from './job-runner.js';
import { checkEnqueue, physicalQueues, QUEUE_ROLES, slotsPerQueue } from './queues.js';

export const PGBOSS_SCHEMA = 'pgboss';

export interface PgBossQueueOptions {
  readonly queues: Readonly<Record<QueueRole, string>>;
  readonly logger: Logger;
  /** Lease (pg-boss `expire_in`) renewed by heartbeats while a handler runs (default 60 s). */
  readonly leaseSeconds?: number;
  readonly pollIntervalMs?: number;
  readonly poolSize?: number;
}

/** What we put into pg-boss's `data`: pg-boss queues are our queues, so the job name rides along. */
const Envelope = z.object({
  name: z.string(),
  payload: z.unknown(),
  centerId: z.number().int().optional(),
  maxBackoffSeconds: z.number().int().min(0),
});
type Envelope = z.infer<typeof Envelope>;

const TO_UNIFORM: Readonly<Record<string, JobState>> = {
  created: 'queued',
  retry: 'retry',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};
const FROM_UNIFORM: Readonly<Record<JobState, string>> = {
  queued: 'created',
  retry: 'retry',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COLUMNS = `id, name, data, state, retry_count, retry_limit, start_after, started_on, created_on, completed_on, singleton_key, output`;

interface JobRow {
  id: string;
  name: string;
  data: unknown;
  state: string;
  retry_count: number;
  retry_limit: number;
  start_after: Date;
  started_on: Date | null;
  created_on: Date;
  completed_on: Date | null;
  singleton_key: string | null;
  output: unknown;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

function errorOf(output: unknown): string | null {
  if (output === null || typeof output !== 'object') return null;
  const o = output as { message?: unknown; value?: { message?: unknown } };
  if (typeof o.message === 'string') return o.message;
  // pg-boss's own expiry writes this; say what it means for us.
  if (typeof o.value?.message === 'string') return o.value.message.includes('timeout') ? LEASE_EXPIRED_MESSAGE : jobErrorText(o.value.message);
  return null;
}

function toRecord(row: JobRow): JobRecord {
  const envelope = Envelope.safeParse(row.data);
  return {
    id: row.id,
    queue: row.name,
    name: envelope.success ? envelope.data.name : '(malformed)',
    state: TO_UNIFORM[row.state] ?? 'failed',
    attempts: row.started_on === null ? 0 : row.retry_count + 1,
    maxAttempts: row.retry_limit + 1,
    payload: envelope.success ? envelope.data.payload : null,
    dedupeKey: row.singleton_key,
    centerId: envelope.success ? envelope.data.centerId ?? null : null,
    runAt: iso(row.start_after) as string,
    createdAt: iso(row.created_on) as string,
    startedAt: iso(row.started_on),
    finishedAt: iso(row.completed_on),
    lastError: errorOf(row.output),
  };
}

/**
 * The PostgreSQL queue on pg-boss 10, so that workers on several hosts share one
 * queue. pg-boss's `work()` holds a whole batch until one callback settles and
 * fails any job running longer than its expiry without a heartbeat, so the
 * shared runner drives pg-boss's `fetch`/`complete`/`fail` instead and renews
 * `expire_in` while a handler runs: a crashed worker's job is expired by
 * `expire()` and fetched again. Dedupe runs under a transaction-level advisory
 * lock because pg-boss's `standard` policy does not enforce `singletonKey`.
 */
export class PgBossJobQueue implements JobQueue {
  readonly backend = 'pg-boss' as const;
  private readonly pool: pg.Pool;
  private readonly boss: PgBoss;
  private readonly events = new EventEmitter();
  private readonly workers = new Set<Worker>();
  private readonly leaseSeconds: number;
  private started: Promise<void> | undefined;
  private closed = false;

  constructor(
    config: PostgresConfig,
    private readonly options: PgBossQueueOptions,
  ) {
    this.leaseSeconds = Math.max(1, Math.round(options.leaseSeconds ?? 60));
    // pg-boss expects pg's stock type parsing; our Kysely pool turns timestamps into text.
    const { types: _types, ...poolConfig } = postgresPoolConfig(config, options.poolSize ?? 5);
    this.pool = new pg.Pool({ ...poolConfig, application_name: 'lx-annotate-jobs' });
    this.pool.on('error', () => undefined);
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => this.pool.query(text, values) },
      schema: PGBOSS_SCHEMA,
      // Expiry runs from our workers (reap); archive and deletion follow our retention job instead.
      supervise: false,
      schedule: false,
      migrate: true,
    });
    this.boss.on('error', (error) => options.logger.warn({ error: jobErrorText(error) }, 'pg-boss reported an error'));
    this.events.setMaxListeners(0);
  }

  queueName(role: QueueRole): string {
    return this.options.queues[role];
  }

  /** Installs or migrates pg-boss's schema and creates the configured queues (idempotent, safe in parallel). */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      for (const name of physicalQueues(this.options.queues, QUEUE_ROLES)) {
        if (await this.boss.getQueue(name)) continue;
        await this.boss.createQueue(name, {
          name,
          policy: 'standard',
          retryLimit: DEFAULT_RETRY.limit,
          retryDelay: DEFAULT_RETRY.backoffSeconds,
          retryBackoff: true,
          expireInSeconds: this.leaseSeconds,
        });
      }
    })();
    // A database that was down at the first call must not poison every later one.
    this.started.catch(() => {
      this.started = undefined;
    });
    return this.started;
  }

  async enqueue(role: QueueRole, name: string, payload: unknown, options: EnqueueOptions = {}): Promise<string> {
    const checked = checkEnqueue(name, payload, options);
    await this.start();
    const queue = this.queueName(role);
    const { dedupeKey, runAt, priority, centerId } = checked.options;
    const envelope: Envelope = { name, payload: JSON.parse(checked.payloadJson), maxBackoffSeconds: checked.retry.maxBackoffSeconds, ...(centerId ? { centerId } : {}) };
    const sendOptions: PgBoss.SendOptions = {
      retryLimit: checked.retry.limit,
      retryDelay: checked.retry.backoffSeconds,
      retryBackoff: checked.retry.backoffSeconds > 0,
      expireInSeconds: this.leaseSeconds,
      priority: priority ?? 0,
      ...(runAt ? { startAfter: runAt } : {}),
      ...(dedupeKey ? { singletonKey: dedupeKey } : {}),
    };
    const id = dedupeKey
      ? await this.transaction(async (db) => {
          await db.executeSql('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`lx-jobs-dedupe:${queue}:${dedupeKey}`]);
          const existing = await db.executeSql(`SELECT id FROM ${PGBOSS_SCHEMA}.job WHERE name = $1 AND singleton_key = $2 AND state < 'completed' LIMIT 1`, [queue, dedupeKey]);
          if (existing.rows[0]) return String(existing.rows[0].id);
          return this.boss.send(queue, envelope, { ...sendOptions, db });
        })
      : await this.boss.send(queue, envelope, sendOptions);
    if (!id) throw new Error(`job ${name}: queue "${queue}" does not exist in pg-boss`);
    this.events.emit('enqueued', queue);
    return id;
  }

  async work(roles: readonly QueueRole[], handlers: readonly JobHandlerSpec[], options: WorkOptions = {}): Promise<Worker> {
    await this.start();
    const queues = slotsPerQueue(this.options.queues, roles, options);
    const runner = startRunner(this.runnerBackend(), {
      queues,
      handlers,
      logger: this.options.logger,
      jobQueue: this,
      pollIntervalMs: this.options.pollIntervalMs ?? 1000,
      heartbeatIntervalMs: Math.max(250, (this.leaseSeconds * 1000) / 4),
      reapIntervalMs: Math.max(500, (this.leaseSeconds * 1000) / 2),
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
    if (!UUID.test(id)) return undefined;
    await this.start();
    const names = physicalQueues(this.options.queues, QUEUE_ROLES);
    for (const table of ['job', 'archive']) {
      const { rows } = await this.pool.query<JobRow>(`SELECT ${COLUMNS} FROM ${PGBOSS_SCHEMA}.${table} WHERE id = $1 AND name = ANY($2::text[])`, [id, names]);
      if (rows[0]) return toRecord(rows[0]);
    }
    return undefined;
  }

  async list(filter: ListFilter): Promise<JobRecord[]> {
    await this.start();
    const where: string[] = ['name = ANY($1::text[])'];
    const values: unknown[] = [filter.queue !== undefined ? [filter.queue] : physicalQueues(this.options.queues, QUEUE_ROLES)];
    const add = (clause: (n: number) => string, value: unknown): void => {
      values.push(value);
      where.push(clause(values.length));
    };
    if (filter.state !== undefined) add((n) => `state = $${n}::${PGBOSS_SCHEMA}.job_state`, FROM_UNIFORM[filter.state]);
    if (filter.name !== undefined) add((n) => `data->>'name' = $${n}`, filter.name);
    if (filter.centerId !== undefined) add((n) => `data->>'centerId' = $${n}`, String(filter.centerId));
    values.push(filter.limit);
    const { rows } = await this.pool.query<JobRow>(
      `SELECT ${COLUMNS} FROM ${PGBOSS_SCHEMA}.job WHERE ${where.join(' AND ')} ORDER BY created_on DESC, id LIMIT $${values.length}`,
      values,
    );
    return rows.map(toRecord);
  }

  async cancel(id: string): Promise<boolean> {
    const job = await this.get(id);
    if (!job) return false;
    const result = (await this.boss.cancel(job.queue, id)) as unknown as { affected?: number } | undefined;
    return (result?.affected ?? 0) > 0;
  }

  async purgeFinished(finishedBefore: Date): Promise<number> {
    await this.start();
    const names = physicalQueues(this.options.queues, QUEUE_ROLES);
    let deleted = 0;
    for (const table of ['job', 'archive']) {
      const result = await this.pool.query(
        `DELETE FROM ${PGBOSS_SCHEMA}.${table} WHERE name = ANY($1::text[]) AND state IN ('completed', 'failed', 'cancelled') AND completed_on < $2`,
        [names, finishedBefore],
      );
      deleted += result.rowCount ?? 0;
    }
    return deleted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workers].map((w) => w.stop()));
    await this.started?.catch(() => undefined);
    // A no-op when pg-boss never started.
    await this.boss.stop({ graceful: false, close: false });
    await this.pool.end();
  }

  private async transaction<T>(fn: (db: PgBoss.Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({ executeSql: (text, values) => client.query(text, values) });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private runnerBackend(): RunnerBackend {
    return {
      claim: async (queue, max) => {
        const jobs = await this.boss.fetch<unknown>(queue, { batchSize: max, includeMetadata: true });
        return jobs.map((job): ClaimedJob => {
          const envelope = Envelope.safeParse(job.data);
          return {
            id: job.id,
            queue,
            name: envelope.success ? envelope.data.name : '(malformed)',
            payload: envelope.success ? envelope.data.payload : undefined,
            attempt: job.retryCount + 1,
            maxAttempts: job.retryLimit + 1,
            // retry_count grows on every fetch after the first, so it tells one attempt from the next.
            fence: String(job.retryCount),
          };
        });
      },
      heartbeat: async (job) => {
        const result = await this.pool.query(
          `UPDATE ${PGBOSS_SCHEMA}.job SET expire_in = (now() - started_on) + make_interval(secs => $4)
            WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3`,
          [job.queue, job.id, Number(job.fence), this.leaseSeconds],
        );
        return (result.rowCount ?? 0) > 0;
      },
      complete: (job) =>
        this.transaction(async (db) => {
          const current = await this.lockClaim(db, job);
          if (!current) return false;
          // Keep the last error of an earlier attempt visible after success, as the table queue does.
          // pg-boss reads the third argument as output data, so "no output" must be passed explicitly.
          await this.boss.complete(job.queue, job.id, current.output ?? (null as unknown as object), { db });
          return true;
        }),
      fail: (job, message, retryable) =>
        this.transaction(async (db) => {
          const current = await this.lockClaim(db, job);
          if (!current) return 'lost' as const;
          const retry = retryable && current.retry_count < current.retry_limit;
          if (!retryable) await db.executeSql(`UPDATE ${PGBOSS_SCHEMA}.job SET retry_limit = retry_count WHERE name = $1 AND id = $2`, [job.queue, job.id]);
          await this.boss.fail(job.queue, job.id, { message }, { db });
          if (retry) {
            const envelope = Envelope.safeParse(current.data);
            const delaySeconds = retryDelaySeconds(
              { limit: current.retry_limit, backoffSeconds: current.retry_delay, maxBackoffSeconds: envelope.success ? envelope.data.maxBackoffSeconds : current.retry_delay },
              current.retry_count + 1,
            );
            // pg-boss's own backoff has random jitter and no cap; the port promises the capped formula.
            await db.executeSql(`UPDATE ${PGBOSS_SCHEMA}.job SET start_after = now() + make_interval(secs => $3) WHERE name = $1 AND id = $2 AND state = 'retry'`, [
              job.queue,
              job.id,
              delaySeconds,
            ]);
          }
          return retry ? ('retry' as const) : ('failed' as const);
        }),
      reap: () => this.boss.expire(),
      onEnqueued: (listener) => {
        this.events.on('enqueued', listener);
        return () => this.events.off('enqueued', listener);
      },
    };
  }

  private async lockClaim(db: PgBoss.Db, job: ClaimedJob): Promise<{ retry_count: number; retry_limit: number; retry_delay: number; data: unknown; output: object | null } | undefined> {
    const { rows } = await db.executeSql(
      `SELECT retry_count, retry_limit, retry_delay, data, output FROM ${PGBOSS_SCHEMA}.job
        WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3 FOR UPDATE`,
      [job.queue, job.id, Number(job.fence)],
    );
    return rows[0];
  }
}

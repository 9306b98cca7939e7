import type { z } from 'zod';
import type { QueueRole } from '../config/index.js';
import type { Logger } from '../log/logger.js';

export type { QueueRole };

/** Job states as every caller sees them, whichever backend stores the job. */
export const JOB_STATES = ['queued', 'active', 'completed', 'failed', 'retry', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
/** States after which nothing more happens to a job. */
export const FINISHED_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

/**
 * Retries after a failed attempt. `limit` counts retries, so a job runs at most
 * `limit + 1` times. Attempt n (1-based) that fails is retried after
 * `min(maxBackoffSeconds, backoffSeconds * 2^(n-1))` seconds. Whole seconds
 * because pg-boss stores the delay as an integer.
 */
export interface RetryPolicy {
  readonly limit: number;
  readonly backoffSeconds: number;
  readonly maxBackoffSeconds: number;
}

/** Last error of an attempt whose worker vanished (crash, kill, lost connection) and whose lease ran out. */
export const LEASE_EXPIRED_MESSAGE = 'lease expired: the worker stopped or lost its database connection during this attempt';

export const DEFAULT_RETRY: RetryPolicy = { limit: 3, backoffSeconds: 30, maxBackoffSeconds: 3600 };

/** Seconds to wait before retrying after the given failed attempt (1-based). */
export function retryDelaySeconds(retry: RetryPolicy, failedAttempt: number): number {
  const exponent = Math.min(30, Math.max(0, failedAttempt - 1));
  return Math.min(retry.maxBackoffSeconds, retry.backoffSeconds * 2 ** exponent);
}

export interface EnqueueOptions {
  /** While a job with this key is queued, waiting for a retry or active in the same queue, enqueue returns its id instead. */
  readonly dedupeKey?: string;
  /** Not run before this instant. */
  readonly runAt?: Date;
  readonly retry?: RetryPolicy;
  /** Higher runs first among due jobs of one queue. */
  readonly priority?: number;
  /** The center whose data the job touches, so job listings can be scoped to a center. */
  readonly centerId?: number;
}

/** One job as stored, in one shape for both backends. Timestamps are ISO-8601 UTC. */
export interface JobRecord {
  readonly id: string;
  /** Physical queue name (the configured CELERY_* value). */
  readonly queue: string;
  readonly name: string;
  readonly state: JobState;
  /** Attempts started so far, including the running one. */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly payload: unknown;
  readonly dedupeKey: string | null;
  readonly centerId: number | null;
  readonly runAt: string;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Message of the last failed attempt: truncated, credentials and paths removed. */
  readonly lastError: string | null;
}

export interface ListFilter {
  readonly queue?: string;
  readonly state?: JobState;
  readonly name?: string;
  readonly centerId?: number;
  /** At most this many, newest first. */
  readonly limit: number;
}

/** What a handler gets besides its payload. */
export interface JobContext {
  readonly jobId: string;
  /** 1-based; greater than 1 means an earlier attempt failed or its worker died. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Aborted when the lease was lost (job cancelled, or taken over after a stall) or the worker stops past its grace period. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** For follow-up jobs. */
  readonly queue: JobQueue;
}

/** What `work` needs to run a job: its name, its payload schema and the handler (a `JobDefinition` is one). */
export interface JobHandlerSpec {
  readonly name: string;
  readonly payload: z.ZodType;
  handler(payload: any, context: JobContext): Promise<void>;
}

export interface WorkOptions {
  /** Parallel handler invocations per queue in this process: one number for all, or per queue role (default 1). */
  readonly concurrency?: number | Partial<Record<QueueRole, number>>;
}

export interface StopResult {
  /** In-flight jobs that finished (completed or failed) during the grace period. */
  readonly finished: number;
  /** Jobs still running when the grace period ended; their leases expire and another worker runs them again. */
  readonly abandoned: number;
}

/** A running set of queue consumers in this process. */
export interface Worker {
  /** Physical queue names served. */
  readonly queues: readonly string[];
  /** Stops claiming, lets in-flight jobs finish for up to `graceMs` (default 30 s), then abandons the rest. */
  stop(options?: { graceMs?: number }): Promise<StopResult>;
}

/**
 * The job port. Durable and at-least-once: a job can run more than once (a worker
 * dies after the work but before recording it), so every handler must be
 * idempotent. Queue roles are mapped to the configured queue names.
 */
export interface JobQueue {
  readonly backend: 'sqlite' | 'pg-boss';
  /** The configured name of a queue role. */
  queueName(role: QueueRole): string;
  /** Stores the job and returns its id (or the id of the pending job with the same dedupe key). */
  enqueue(queue: QueueRole, name: string, payload: unknown, options?: EnqueueOptions): Promise<string>;
  work(queues: readonly QueueRole[], handlers: readonly JobHandlerSpec[], options?: WorkOptions): Promise<Worker>;
  get(id: string): Promise<JobRecord | undefined>;
  list(filter: ListFilter): Promise<JobRecord[]>;
  /** Cancels a queued, retrying or active job; false when it was already finished or does not exist. */
  cancel(id: string): Promise<boolean>;
  /** Deletes finished jobs that finished before `finishedBefore`; returns how many. */
  purgeFinished(finishedBefore: Date): Promise<number>;
  /** Stops workers started here and releases connections. */
  close(): Promise<void>;
}

/** Thrown by a handler when retrying cannot help (the input is wrong, not the circumstances). */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

/** A queue name given by an operator that is not one of the configured queues. */
export class UnknownQueueError extends Error {
  override readonly name = 'UnknownQueueError';
}

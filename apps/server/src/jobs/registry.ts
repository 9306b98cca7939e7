import type { z } from 'zod';
import { Invalid } from '../shared/errors.js';
import { DEFAULT_RETRY, type EnqueueOptions, type JobContext, type JobHandlerSpec, type JobQueue, type QueueRole, type RetryPolicy } from './job-queue.js';
import { QUEUE_ROLES } from './queues.js';

/**
 * One kind of job. Rules every definition must keep, because delivery is
 * at-least-once (a worker can die after doing the work and before recording it,
 * and a lease can expire under a stalled worker):
 *
 * - The payload carries ids only (`{ videoId: 12 }`), never names, paths, text or
 *   anything identifying; it is stored in the queue and shown by `jobs list`.
 * - The handler reloads current state by those ids and returns early when the
 *   work is already done (state says so, output already exists), so running it
 *   twice changes nothing the second time.
 * - Domain status lives in the feature's own tables, not in the job record.
 * - Errors say which ids failed; file paths and credentials are scrubbed from the
 *   stored error anyway. Throw `PermanentJobError` when retrying cannot help.
 * - Long handlers honour `context.signal` (lease lost or worker stopping).
 */
export interface JobDefinition<P = unknown> extends JobHandlerSpec {
  /** Unique, dotted by feature: `media.extract-frames`. */
  readonly name: string;
  readonly queue: QueueRole;
  readonly payload: z.ZodType<P>;
  readonly retry: RetryPolicy;
  /** When set, a worker serving this queue enqueues the job with an empty payload at start and this often after (deduplicated while one is pending). */
  readonly everySeconds?: number;
  handler(payload: P, context: JobContext): Promise<void>;
}

export function defineJob<S extends z.ZodType>(definition: {
  readonly name: string;
  readonly queue: QueueRole;
  readonly payload: S;
  readonly retry?: RetryPolicy;
  readonly everySeconds?: number;
  handler(payload: z.output<S>, context: JobContext): Promise<void>;
}): JobDefinition<z.output<S>> {
  return { ...definition, payload: definition.payload as z.ZodType<z.output<S>>, retry: definition.retry ?? DEFAULT_RETRY };
}

/** Every job definition of the process, registered by the composition root. */
export class JobRegistry {
  private readonly byName = new Map<string, JobDefinition<any>>();

  constructor(definitions: readonly JobDefinition<any>[] = []) {
    for (const d of definitions) this.register(d);
  }

  register(definition: JobDefinition<any>): void {
    if (this.byName.has(definition.name)) throw new Error(`job ${definition.name} is defined twice`);
    if (!QUEUE_ROLES.includes(definition.queue)) throw new Error(`job ${definition.name}: unknown queue role ${definition.queue}`);
    this.byName.set(definition.name, definition);
  }

  get(name: string): JobDefinition<any> | undefined {
    return this.byName.get(name);
  }

  all(): JobDefinition<any>[] {
    return [...this.byName.values()];
  }

  /** The definitions a worker serving these roles must be able to run. */
  forQueues(roles: readonly QueueRole[]): JobDefinition<any>[] {
    return this.all().filter((d) => roles.includes(d.queue));
  }
}

/**
 * Enqueues a defined job: the payload is checked against the definition (a wrong
 * payload is the caller's bug, refused as `Invalid` before it is stored) and the
 * definition's retry policy applies unless the options override it.
 */
export async function enqueueJob<P>(queue: JobQueue, definition: JobDefinition<P>, payload: P, options: EnqueueOptions = {}): Promise<string> {
  const parsed = definition.payload.safeParse(payload);
  if (!parsed.success) {
    throw new Invalid(`Invalid payload for job ${definition.name}`, parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  return queue.enqueue(definition.queue, definition.name, parsed.data, { retry: definition.retry, ...options });
}

/** Enqueues the periodic jobs of the given roles, once per period across every worker (dedupe key = job name). */
export async function enqueuePeriodicJobs(queue: JobQueue, definitions: readonly JobDefinition<any>[]): Promise<string[]> {
  const ids: string[] = [];
  for (const d of definitions) {
    if (d.everySeconds === undefined) continue;
    ids.push(await queue.enqueue(d.queue, d.name, {}, { retry: d.retry, dedupeKey: `periodic:${d.name}` }));
  }
  return ids;
}

import { z } from 'zod';
import { QUEUE_VARIABLES, type QueueRole } from '../config/index.js';
import { DEFAULT_RETRY, UnknownQueueError, type EnqueueOptions, type RetryPolicy, type WorkOptions } from './job-queue.js';

export const QUEUE_ROLES = Object.keys(QUEUE_VARIABLES) as QueueRole[];

type QueueNames = Readonly<Record<QueueRole, string>>;

/** Distinct physical queue names of the given roles (two roles may be configured onto one queue). */
export function physicalQueues(names: QueueNames, roles: readonly QueueRole[]): string[] {
  return [...new Set(roles.map((role) => names[role]))];
}

/** Handler slots per physical queue; roles sharing a queue share its slots (the larger setting wins). */
export function slotsPerQueue(names: QueueNames, roles: readonly QueueRole[], options: WorkOptions): Map<string, number> {
  const queues = new Map<string, number>();
  for (const role of roles) {
    const slots = typeof options.concurrency === 'number' ? options.concurrency : (options.concurrency?.[role] ?? 1);
    if (!Number.isInteger(slots) || slots < 1 || slots > 256) throw new TypeError(`concurrency of queue ${names[role]} must be a whole number from 1 to 256`);
    queues.set(names[role], Math.max(queues.get(names[role]) ?? 0, slots));
  }
  return queues;
}

/**
 * Maps operator-given queue names (`worker --queues a,b`) to roles. Like the
 * original, which does not auto-create queues, an unknown name is refused.
 */
export function rolesForQueueNames(names: QueueNames, requested: readonly string[]): QueueRole[] {
  const configured = new Set(Object.values(names));
  const unknown = requested.filter((name) => !configured.has(name));
  if (unknown.length > 0) {
    throw new UnknownQueueError(
      `unknown queue${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; configured queues: ${[...configured].join(', ')} (queues are not created on demand; set the CELERY_*_QUEUE variables)`,
    );
  }
  return QUEUE_ROLES.filter((role) => requested.includes(names[role]));
}

const JOB_NAME = /^[a-z][a-z0-9_.-]{0,127}$/;

const Retry = z
  .object({
    limit: z.number().int().min(0).max(100),
    backoffSeconds: z.number().int().min(0).max(86_400),
    maxBackoffSeconds: z.number().int().min(0).max(7 * 86_400),
  })
  .refine((r) => r.maxBackoffSeconds >= r.backoffSeconds, 'maxBackoffSeconds must not be below backoffSeconds');

const Options = z.object({
  dedupeKey: z.string().min(1).max(255).optional(),
  runAt: z.date().refine((d) => !Number.isNaN(d.getTime()), 'runAt must be a valid date').optional(),
  retry: Retry.optional(),
  priority: z.number().int().min(-1000).max(1000).optional(),
  centerId: z.number().int().positive().optional(),
});

export interface CheckedEnqueue {
  readonly payloadJson: string;
  readonly retry: RetryPolicy;
  readonly options: EnqueueOptions;
}

/** Validates what every backend stores: a job name, a JSON payload object and sane options. */
export function checkEnqueue(name: string, payload: unknown, options: EnqueueOptions = {}): CheckedEnqueue {
  if (!JOB_NAME.test(name)) throw new TypeError(`job name "${name.slice(0, 40)}" must match ${JOB_NAME}`);
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw new TypeError(`job ${name}: the payload must be a JSON object`);
  const payloadJson = JSON.stringify(payload);
  if (payloadJson.length > 64 * 1024) throw new TypeError(`job ${name}: the payload is larger than 64 KiB; jobs carry ids, not data`);
  const checked = Options.parse(options);
  return { payloadJson, retry: checked.retry ?? DEFAULT_RETRY, options: checked };
}

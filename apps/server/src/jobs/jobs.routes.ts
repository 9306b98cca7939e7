import { JobIdParams, JobListQuery, JobListResponse, JobSummary } from '@lx/contracts';
import type { FastifyRequest } from 'fastify';
import type { App } from '../http/app.js';
import { NotFound } from '../shared/errors.js';
import type { JobQueue, JobRecord } from './job-queue.js';

const ID_KEY = /^(id|[a-z][a-zA-Z0-9]*Id|[a-z][a-z0-9_]*_id)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id fields of a payload and nothing else: a payload should hold ids only,
 * and this keeps a careless one from leaking through the API.
 */
function payloadRefs(payload: unknown): Record<string, number | string> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return {};
  const refs: Record<string, number | string> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (!ID_KEY.test(key)) continue;
    if ((typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'string' && UUID.test(value))) refs[key] = value;
  }
  return refs;
}

export function toJobSummary(job: JobRecord): JobSummary {
  return {
    id: job.id,
    queue: job.queue,
    name: job.name,
    state: job.state,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    refs: payloadRefs(job.payload),
    center_id: job.centerId,
    run_at: job.runAt,
    created_at: job.createdAt,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    last_error: job.lastError,
  };
}

export interface JobRoutesOptions {
  /**
   * The center a request may see jobs of (`undefined`: every center). Wired by
   * the composition root from the authenticated user once sessions exist.
   */
  readonly centerScope?: (request: FastifyRequest) => number | undefined;
}

/** `GET …/jobs/` and `GET …/jobs/<id>/` under both API prefixes of the original. */
export function registerJobRoutes(app: App, queue: JobQueue, options: JobRoutesOptions = {}): void {
  for (const prefix of ['/endoreg-api', '/api']) {
    app.get(
      `${prefix}/jobs/`,
      { config: { resource: 'jobs' }, schema: { querystring: JobListQuery, response: { 200: JobListResponse } } },
      async (request) => {
        const centerId = options.centerScope?.(request);
        const jobs = await queue.list({ ...request.query, ...(centerId !== undefined ? { centerId } : {}) });
        return { count: jobs.length, results: jobs.map(toJobSummary) };
      },
    );
    app.get(`${prefix}/jobs/:id/`, { config: { resource: 'jobs' }, schema: { params: JobIdParams, response: { 200: JobSummary } } }, async (request) => {
      const job = await queue.get(request.params.id);
      const centerId = options.centerScope?.(request);
      // Another center's job answers exactly like a missing one.
      if (!job || (centerId !== undefined && job.centerId !== centerId)) throw new NotFound('Job not found.');
      return toJobSummary(job);
    });
  }
}

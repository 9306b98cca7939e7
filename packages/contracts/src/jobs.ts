import { z } from 'zod';

export const JobState = z.enum(['queued', 'active', 'completed', 'failed', 'retry', 'cancelled']);
export type JobState = z.infer<typeof JobState>;

/** Query of `GET /api/jobs/` (and `/endoreg-api/jobs/`). */
export const JobListQuery = z.object({
  queue: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  state: JobState.optional(),
  name: z.string().regex(/^[a-z][a-z0-9_.-]{0,127}$/).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type JobListQuery = z.infer<typeof JobListQuery>;

export const JobIdParams = z.object({ id: z.uuid() });
export type JobIdParams = z.infer<typeof JobIdParams>;

/**
 * One job as the API shows it. `refs` holds only the id fields of the payload
 * (`video_id`, `pdfId`, …); nothing else of the payload leaves the server.
 */
export const JobSummary = z.object({
  id: z.string(),
  queue: z.string(),
  name: z.string(),
  state: JobState,
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  refs: z.record(z.string(), z.union([z.number().int(), z.string()])),
  center_id: z.number().int().nullable(),
  run_at: z.string(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  last_error: z.string().nullable(),
});
export type JobSummary = z.infer<typeof JobSummary>;

export const JobListResponse = z.object({
  count: z.number().int(),
  results: z.array(JobSummary),
});
export type JobListResponse = z.infer<typeof JobListResponse>;

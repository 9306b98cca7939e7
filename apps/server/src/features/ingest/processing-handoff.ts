import { z } from 'zod';
import type { JobQueue, RetryPolicy } from '../../jobs/index.js';

/** The original's Celery task, on the `pipeline` queue. */
export const PROCESS_UPLOAD_JOB = 'ingest.process_upload_job';
export const ProcessUploadPayload = z.object({ uploadJobId: z.uuid() }).strict();
export type ProcessUploadPayload = z.infer<typeof ProcessUploadPayload>;

/**
 * Retries cover a crashed or stalled worker (the lease runs out and the job runs
 * again); a processing failure itself is recorded on the upload job and not retried.
 */
export const PROCESS_UPLOAD_RETRY: RetryPolicy = { limit: 5, backoffSeconds: 5, maxBackoffSeconds: 300 };

/** Hands an upload job to the workers; deduplicated while one is queued or running. Returns the queue job id. */
export async function enqueueUploadProcessing(queue: JobQueue, uploadJobId: string, centerId: number | null): Promise<string> {
  const payload = ProcessUploadPayload.parse({ uploadJobId });
  return queue.enqueue('pipeline', PROCESS_UPLOAD_JOB, payload, {
    dedupeKey: `upload:${uploadJobId}`,
    retry: PROCESS_UPLOAD_RETRY,
    ...(centerId !== null ? { centerId } : {}),
  });
}

import { z } from 'zod';
import { defineJob } from './registry.js';

/** How often a worker of the maintenance queue schedules the purge. */
export const PURGE_INTERVAL_SECONDS = 6 * 60 * 60;

/**
 * Deletes finished jobs (completed, failed, cancelled) older than the retention
 * period. Idempotent by nature: a second run finds nothing left to delete.
 */
export function purgeFinishedJobsJob(retentionDays: number) {
  return defineJob({
    name: 'jobs.purge-finished',
    queue: 'maintenance',
    payload: z.object({}).strict(),
    retry: { limit: 2, backoffSeconds: 60, maxBackoffSeconds: 600 },
    everySeconds: PURGE_INTERVAL_SECONDS,
    async handler(_payload, { queue, logger }) {
      const cutoff = new Date(Date.now() - retentionDays * 86_400_000);
      const deleted = await queue.purgeFinished(cutoff);
      logger.info({ deleted, retentionDays }, 'purged finished jobs past retention');
    },
  });
}

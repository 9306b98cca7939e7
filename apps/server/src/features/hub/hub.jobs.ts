import { z } from 'zod';
import { defineJob, enqueueJob, PermanentJobError, type JobDefinition, type JobQueue } from '../../jobs/index.js';
import type { OutboundJob } from './outbound.repository.js';
import type { HubRecoveryService } from './recovery.service.js';
import { PermanentTransferError, type HubSender } from './sender.service.js';

export const OUTBOUND_TRANSFER_JOB = 'hub.outbound-transfer';
export const RECOVER_TRANSFERS_JOB = 'hub.recover-stale-transfers';
export const REEVALUATE_CHANGED_JOB = 'hub.reevaluate-state-changes';
/** How soon a saved resource state reaches its export rows (the triggers count saves at once). */
export const REEVALUATE_INTERVAL_SECONDS = 30;
const OutboundPayload = z.object({ outboundJobId: z.uuid() }).strict();

/** The sender's jobs on the `hub_transfer` queue: one transfer, and the periodic reconciliation. */
export function hubJobs(sender: HubSender, recovery: () => HubRecoveryService, maxRetries: number): JobDefinition<any>[] {
  return [
    defineJob({
      name: OUTBOUND_TRANSFER_JOB,
      queue: 'hub_transfer',
      payload: OutboundPayload,
      // The original's countdown: min(30 · 2^(n−1), 900) seconds, up to LX_ANNOTATE_HUB_EXPORT_MAX_RETRIES.
      retry: { limit: maxRetries, backoffSeconds: 30, maxBackoffSeconds: 900 },
      async handler({ outboundJobId }, { logger }) {
        try {
          const status = await sender.run(outboundJobId);
          logger.info({ outboundJobId, status }, 'hub transfer step done');
        } catch (error) {
          if (error instanceof PermanentTransferError) throw new PermanentJobError(error.message);
          throw error;
        }
      },
    }),
    defineJob({
      name: RECOVER_TRANSFERS_JOB,
      queue: 'hub_transfer',
      payload: z.object({}).strict(),
      retry: { limit: 1, backoffSeconds: 60, maxBackoffSeconds: 60 },
      everySeconds: 15 * 60,
      async handler(_payload, { logger }) {
        const summary = await recovery()
          .reevaluate()
          .then(async (reevaluated) => ({ ...(await recovery().recover()), reevaluated }))
          .catch((error: unknown) => {
            // A site without hub nodes has nothing to reconcile.
            logger.debug({ err: (error as Error).message }, 'hub recovery skipped');
            return undefined;
          });
        if (summary) logger.info(summary, 'hub recovery done');
      },
    }),
    defineJob({
      name: REEVALUATE_CHANGED_JOB,
      queue: 'hub_transfer',
      payload: z.object({}).strict(),
      retry: { limit: 1, backoffSeconds: 10, maxBackoffSeconds: 10 },
      everySeconds: REEVALUATE_INTERVAL_SECONDS,
      async handler(_payload, { logger }) {
        const result = await recovery().reevaluate({ changed: true });
        if (result.blocked + result.queued > 0) logger.info(result, 'hub export rows re-evaluated after state changes');
      },
    }),
  ];
}

export function enqueueOutbound(queue: () => JobQueue, definition: JobDefinition<any>): (job: OutboundJob) => Promise<void> {
  return async (job) => {
    await enqueueJob(queue(), definition, { outboundJobId: job.id }, { dedupeKey: `hub-transfer:${job.id}`, centerId: job.sourceCenterId });
  };
}

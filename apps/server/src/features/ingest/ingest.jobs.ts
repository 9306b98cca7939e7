import { z } from 'zod';
import { defineJob, type JobDefinition } from '../../jobs/index.js';
import { PROCESS_UPLOAD_JOB, PROCESS_UPLOAD_RETRY, ProcessUploadPayload } from './processing-handoff.js';
import type { UploadProcessingService } from './upload-processing.js';
import type { UploadRecoveryService } from './upload-recovery.service.js';

/** How often a maintenance worker sweeps upload leftovers. */
export const UPLOAD_SWEEP_INTERVAL_SECONDS = 15 * 60;

/** The ingest feature's jobs, for the registry in `main/compose.ts`. */
export function ingestJobs(processing: UploadProcessingService, recovery: UploadRecoveryService): JobDefinition<any>[] {
  return [
    defineJob({
      name: PROCESS_UPLOAD_JOB,
      queue: 'pipeline',
      payload: ProcessUploadPayload,
      retry: PROCESS_UPLOAD_RETRY,
      async handler({ uploadJobId }, { signal, logger, jobId, attempt }) {
        await processing.process(uploadJobId, { signal, logger, jobId, attempt });
      },
    }),
    defineJob({
      name: 'ingest.sweep-uploads',
      queue: 'maintenance',
      payload: z.object({}).strict(),
      retry: { limit: 2, backoffSeconds: 60, maxBackoffSeconds: 600 },
      everySeconds: UPLOAD_SWEEP_INTERVAL_SECONDS,
      async handler(_payload, { logger }) {
        const summary = await recovery.sweep();
        logger.info(summary, 'upload sweep done');
      },
    }),
  ];
}

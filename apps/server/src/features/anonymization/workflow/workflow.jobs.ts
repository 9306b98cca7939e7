import { z } from 'zod';
import { defineJob, type JobDefinition, type JobQueue } from '../../../jobs/index.js';
import type { ReportImportService } from './report-import.service.js';

/** Reruns a stored report PDF (start, reimport, apply-redactions) from one queued history entry. */
export const PDF_RUN_JOB = 'report.process-pdf';
const PdfRunPayload = z.object({ historyId: z.number().int().positive() }).strict();

export async function enqueuePdfRun(queue: JobQueue, historyId: number, centerId: number): Promise<string> {
  return queue.enqueue('pipeline', PDF_RUN_JOB, PdfRunPayload.parse({ historyId }), { dedupeKey: `pdf-history:${historyId}`, retry: { limit: 5, backoffSeconds: 10, maxBackoffSeconds: 600 }, centerId });
}

/** The anonymization workflow's jobs, for the registry in `main/compose.ts`. */
export function workflowJobs(reports: ReportImportService): JobDefinition<any>[] {
  return [
    defineJob({
      name: PDF_RUN_JOB,
      queue: 'pipeline',
      payload: PdfRunPayload,
      retry: { limit: 5, backoffSeconds: 10, maxBackoffSeconds: 600 },
      async handler({ historyId }, { signal }) {
        await reports.runQueued(historyId, signal);
      },
    }),
  ];
}

import { defineJob, type JobDefinition } from '../../jobs/index.js';
import type { PostValidationRebuild } from './post-validation.service.js';
import type { PredictionsService } from './predictions.service.js';
import { POST_VALIDATION_REBUILD_JOB, POST_VALIDATION_RETRY, PostValidationRebuildPayload, PREDICT_RETRY, PREDICT_SEGMENTS_JOB, PredictSegmentsPayload } from './segments.job-names.js';

/** The segments feature's jobs, for the registry in `main/compose.ts`. */
export function segmentsJobs(rebuild: PostValidationRebuild, predictions: PredictionsService): JobDefinition<any>[] {
  return [
    defineJob({
      name: POST_VALIDATION_REBUILD_JOB,
      queue: 'ffmpeg_media',
      payload: PostValidationRebuildPayload,
      retry: POST_VALIDATION_RETRY,
      async handler(payload, context) {
        await rebuild.run(payload, context);
      },
    }),
    defineJob({
      name: PREDICT_SEGMENTS_JOB,
      queue: 'inference',
      payload: PredictSegmentsPayload,
      retry: PREDICT_RETRY,
      async handler(payload, context) {
        await predictions.run(payload, context);
      },
    }),
  ];
}

import { z } from 'zod';
import { defineJob, PermanentJobError, type JobDefinition, type JobQueue, type RetryPolicy } from '../../jobs/index.js';
import { MediaInputError } from '../../adapters/ffmpeg/index.js';
import { Invalid } from '../../shared/errors.js';
import { HLS_KINDS, type HlsKind } from '../media/index.js';
import type { VideoHlsService } from './video-hls.service.js';
import { VideoProcessingFailed, type VideoProcessingService } from './video-processing.service.js';

/** Job names are a contract: the anonymization workflow and the segments feature enqueue them. */
export const VIDEO_ANONYMIZE_JOB = 'video.anonymize';
export const VIDEO_MATERIALIZE_HLS_JOB = 'video.materialize-hls';

const rect = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().positive(), height: z.number().int().positive() });
/** How a run masks: the safe mask only, or also the overlay (preset rectangles or custom ones). */
export const VideoStrategyPayload = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('safe') }),
  z.object({ kind: z.literal('processor_region'), device_name: z.string().max(255).optional(), rois: z.array(rect).max(32).optional() }),
  z.object({ kind: z.literal('detector_assisted') }),
]);
export type VideoStrategyPayload = z.infer<typeof VideoStrategyPayload>;
export const VideoRemovalPayload = z.discriminatedUnion('mode', [z.object({ mode: z.literal('manual'), spec: z.string().max(20_000) }), z.object({ mode: z.literal('automatic'), frames: z.array(z.number().int().min(0)).max(1_000_000).optional() })]);

export const VideoAnonymizePayload = z.object({
  videoId: z.number().int().positive(),
  force: z.boolean().optional(),
  strategy: VideoStrategyPayload.optional(),
  removal: VideoRemovalPayload.optional(),
  operation: z.enum(['mask_overlay', 'frame_removal', 'reprocessing']).optional(),
});
export type VideoAnonymizePayload = z.infer<typeof VideoAnonymizePayload>;
export const VideoHlsPayload = z.object({ videoId: z.number().int().positive(), kind: z.enum(HLS_KINDS) });

/** Files fail for their own reasons (recorded on the video); only crashed or stalled workers retry. */
const VIDEO_RETRY: RetryPolicy = { limit: 3, backoffSeconds: 30, maxBackoffSeconds: 600 };

/** Queues an anonymization run of a video (deduplicated while one is queued or running); returns the queue job id. */
export async function enqueueVideoAnonymize(queue: JobQueue, videoId: number, options: Omit<VideoAnonymizePayload, 'videoId'> & { centerId?: number } = {}): Promise<string> {
  const { centerId, ...rest } = options;
  const payload = VideoAnonymizePayload.parse({ videoId, ...rest });
  return queue.enqueue('pipeline', VIDEO_ANONYMIZE_JOB, payload, { dedupeKey: `video-anonymize:${videoId}`, retry: VIDEO_RETRY, ...(centerId !== undefined ? { centerId } : {}) });
}

/** Queues HLS materialization of a video's raw or processed file. */
export async function enqueueVideoHls(queue: JobQueue, videoId: number, kind: HlsKind, centerId?: number): Promise<string> {
  return queue.enqueue('ffmpeg_media', VIDEO_MATERIALIZE_HLS_JOB, VideoHlsPayload.parse({ videoId, kind }), { dedupeKey: `video-hls:${videoId}:${kind}`, retry: VIDEO_RETRY, ...(centerId !== undefined ? { centerId } : {}) });
}

export function videoJobs(processing: VideoProcessingService, hls: VideoHlsService): JobDefinition<any>[] {
  return [
    defineJob({
      name: VIDEO_ANONYMIZE_JOB,
      queue: 'pipeline',
      payload: VideoAnonymizePayload,
      retry: VIDEO_RETRY,
      async handler(payload, { signal, logger, jobId }) {
        const strategy = payload.strategy?.kind === 'processor_region' ? { kind: 'processor_region' as const, customRects: payload.strategy.rois } : payload.strategy;
        try {
          const outcome = await processing.anonymize(payload.videoId, {
            force: payload.force,
            strategy,
            processorName: payload.strategy?.kind === 'processor_region' ? payload.strategy.device_name : undefined,
            removal: payload.removal,
            operation: payload.operation,
            taskId: jobId,
            signal,
            logger,
          });
          // Another run holds the video: let the queue try again after it.
          if (outcome.status === 'locked') throw new Error(`video ${payload.videoId} is being processed by another run`);
        } catch (error) {
          if (error instanceof VideoProcessingFailed) throw new PermanentJobError(`video ${payload.videoId}: processing failed (see its processing history)`);
          throw error;
        }
      },
    }),
    defineJob({
      name: VIDEO_MATERIALIZE_HLS_JOB,
      queue: 'ffmpeg_media',
      payload: VideoHlsPayload,
      retry: VIDEO_RETRY,
      async handler({ videoId, kind }, { signal, logger, jobId }) {
        try {
          const outcome = await hls.materialize(videoId, kind, { signal, taskId: jobId });
          logger.info({ videoId, kind, outcome }, 'video HLS materialized');
        } catch (error) {
          if (error instanceof Invalid || error instanceof MediaInputError) throw new PermanentJobError(`video ${videoId}: HLS (${kind}) not possible (see its processing history)`);
          throw error;
        }
      },
    }),
  ];
}

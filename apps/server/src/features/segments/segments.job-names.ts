import { z } from 'zod';
import type { RetryPolicy } from '../../jobs/index.js';

/** Blackens validated `outside` segments in the processed video, then rebuilds its HLS (queue `ffmpeg_media`). */
export const POST_VALIDATION_REBUILD_JOB = 'segments.post-validation-rebuild';
/** Ids only: whether unvalidated outside segments count too is read from the video's status row (set by the request). */
export const PostValidationRebuildPayload = z.object({ videoId: z.number().int().positive() }).strict();
export type PostValidationRebuildPayload = z.infer<typeof PostValidationRebuildPayload>;
export const POST_VALIDATION_RETRY: RetryPolicy = { limit: 2, backoffSeconds: 60, maxBackoffSeconds: 600 };

/** Temporal AI inference over a video (queue `inference`). */
export const PREDICT_SEGMENTS_JOB = 'segments.predict';
export const PredictSegmentsPayload = z.object({ videoId: z.number().int().positive(), modelMetaId: z.number().int().positive(), replace: z.boolean().default(true) }).strict();
export type PredictSegmentsPayload = z.infer<typeof PredictSegmentsPayload>;
export const PREDICT_RETRY: RetryPolicy = { limit: 1, backoffSeconds: 120, maxBackoffSeconds: 600 };

/** The video feature's HLS job (a contract with the video pipeline: payload `{ videoId, kind }`). */
export const MATERIALIZE_HLS_JOB = 'video.materialize-hls';

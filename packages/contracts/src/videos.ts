import { z } from 'zod';

/** The original's anonymization status values, in no particular order (priority is server-side). */
export const AnonymizationStatus = z.enum(['not_started', 'started', 'extracting_frames', 'processing_anonymization', 'predicting_segments', 'done_processing_anonymization', 'validated', 'failed']);
export type AnonymizationStatus = z.infer<typeof AnonymizationStatus>;

/** One row of `GET media/videos/` (§5.5). */
export const VideoListItem = z.object({
  id: z.number().int(),
  original_file_name: z.string().nullable(),
  status: AnonymizationStatus,
  anonymized: z.boolean(),
  segment_annotations_validated: z.boolean(),
  segment_annotation_status: z.string(),
  outside_segments_removed: z.boolean(),
  post_validation_rebuild: z.string(),
  duration: z.number().nullable(),
  fps: z.number().nullable(),
  frame_count: z.number().int().nullable(),
  center_key: z.string().nullable(),
  center_name: z.string().nullable(),
  processor_name: z.string().nullable(),
  validated_annotators: z.array(z.string()),
  processing_locked: z.boolean(),
});
export type VideoListItem = z.infer<typeof VideoListItem>;

export const VideoListResponse = z.object({ videos: z.array(VideoListItem), labels: z.array(z.object({ id: z.number().int(), name: z.string() })) });
export type VideoListResponse = z.infer<typeof VideoListResponse>;

/** `GET media/videos/<pk>/details/`. */
export const VideoDetails = VideoListItem.extend({
  uuid: z.string(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  uploaded_at: z.string(),
  sensitive_meta_id: z.number().int().nullable(),
  has_raw: z.boolean(),
  has_processed: z.boolean(),
  processed_file_sha256: z.string().nullable(),
  hls: z.object({ raw: z.string().nullable(), processed: z.string().nullable() }),
  error_detail: z.string(),
});
export type VideoDetails = z.infer<typeof VideoDetails>;

/** `GET media/videos/<pk>/metadata/`. */
export const VideoMetadata = z.object({
  id: z.number().int(),
  fps: z.number().nullable(),
  duration: z.number().nullable(),
  frame_count: z.number().int().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  sensitive_frame_count: z.number().int(),
  total_frames: z.number().int(),
  sensitive_ratio: z.number(),
});
export type VideoMetadata = z.infer<typeof VideoMetadata>;

export const VideoFps = z.object({ video_id: z.number().int(), fps: z.number().nullable() });
export type VideoFps = z.infer<typeof VideoFps>;

export const ProcessingHistoryEntry = z.object({
  id: z.number().int(),
  video_id: z.number().int(),
  operation: z.enum(['mask_overlay', 'frame_removal', 'analysis', 'reprocessing', 'ai_temporal_inference', 'release_gate', 'hls']),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  config: z.record(z.string(), z.unknown()),
  output: z.record(z.string(), z.unknown()),
  error_detail: z.string(),
  progress: z.number(),
  progress_step: z.string(),
  has_output_file: z.boolean(),
  task_id: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().int().nullable(),
});
export type ProcessingHistoryEntry = z.infer<typeof ProcessingHistoryEntry>;
export const ProcessingHistoryResponse = z.array(ProcessingHistoryEntry);

export const Roi = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().positive(), height: z.number().int().positive() });
export type Roi = z.infer<typeof Roi>;

/** `POST media/videos/video-correction/<pk>/anonymization/` (W4). */
export const VideoAnonymizationRequest = z.object({
  strategy: z.enum(['processor_region', 'detector_assisted']),
  processing_method: z.enum(['streaming', 'direct']).default('streaming'),
  region: z
    .object({ mode: z.enum(['device', 'custom']), device_name: z.string().max(255).optional(), roi: Roi.optional() })
    .optional(),
  human_review_required: z.boolean().default(true),
});
export type VideoAnonymizationRequest = z.infer<typeof VideoAnonymizationRequest>;

/** `GET …/video-correction/<pk>/anonymization/`. */
export const VideoAnonymizationInfo = z.object({
  video_id: z.number().int(),
  status: AnonymizationStatus,
  processing_locked: z.boolean(),
  strategies: z.array(z.object({ name: z.enum(['processor_region', 'detector_assisted']), available: z.boolean(), detail: z.string() })),
  device_presets: z.array(z.string()),
  processor_name: z.string().nullable(),
  last_strategy: z.record(z.string(), z.unknown()).nullable(),
  ocr_engines: z.array(z.string()),
  has_anonymized_artifact: z.boolean(),
  human_review_required: z.literal(true),
});
export type VideoAnonymizationInfo = z.infer<typeof VideoAnonymizationInfo>;

/** `POST media/videos/<pk>/apply-mask/`. */
export const ApplyMaskRequest = z.object({
  mask_type: z.enum(['device', 'custom']).default('device'),
  device_name: z.string().max(255).optional(),
  roi: Roi.optional(),
  use_streaming: z.boolean().optional(),
});
export type ApplyMaskRequest = z.infer<typeof ApplyMaskRequest>;

/** `POST media/videos/<pk>/remove-frames/`. */
export const RemoveFramesRequest = z.object({
  selection_method: z.enum(['automatic', 'manual']),
  detection_engine: z.string().max(64).optional(),
  use_streaming: z.boolean().optional(),
  manual_frames: z.string().max(20_000).optional(),
});
export type RemoveFramesRequest = z.infer<typeof RemoveFramesRequest>;

/** 202 answer of every started video operation. */
export const VideoTaskAccepted = z.object({ video_id: z.number().int(), task_id: z.string(), status: z.literal('queued'), message: z.string() });
export type VideoTaskAccepted = z.infer<typeof VideoTaskAccepted>;

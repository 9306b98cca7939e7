import { z } from 'zod';

/**
 * Video segments, labels and AI predictions (reference-features §5.7). Frame numbers are the
 * exact decoded frame index of the processed video; `start_frame_number` is inclusive,
 * `end_frame_number` exclusive. Times are media seconds from the first frame.
 */
export const SegmentOrigin = z.enum(['manual', 'prediction']);
export type SegmentOrigin = z.infer<typeof SegmentOrigin>;

export const SegmentSourceKind = z.enum(['manual', 'prediction', 'all']);
export type SegmentSourceKind = z.infer<typeof SegmentSourceKind>;

/** Per-video post-validation state. */
export const PostValidationStatus = z.enum(['not_started', 'cleanup_queued', 'cleanup_running', 'validated', 'cleanup_failed']);
export type PostValidationStatus = z.infer<typeof PostValidationStatus>;

const Id = z.number().int().positive();
const Frame = z.number().int().min(0);
const Seconds = z.number().finite().min(0);

export const Segment = z.object({
  id: Id,
  video_id: Id,
  label_id: Id,
  label_name: z.string(),
  start_frame_number: Frame,
  end_frame_number: Frame,
  start_time: z.number(),
  end_time: z.number(),
  export_segment: z.boolean(),
  segment_origin: SegmentOrigin,
  prediction_meta_id: Id.nullable(),
  source_name: z.string(),
  annotator: z.string(),
  is_validated: z.boolean(),
  validated_by: z.string().nullable(),
  validated_at: z.string().nullable(),
  notes: z.string(),
  version: z.number().int(),
  updated_at: z.string(),
});
export type Segment = z.infer<typeof Segment>;

export const SegmentListQuery = z.object({
  source_kind: SegmentSourceKind.default('all'),
  label: z.string().max(255).optional(),
  annotator: z.string().max(255).optional(),
});
export type SegmentListQuery = z.infer<typeof SegmentListQuery>;

/** Where a segment starts and ends: frames, or seconds (converted on the server with the video's frame index). */
const Bounds = {
  start_frame_number: Frame.optional(),
  end_frame_number: Frame.optional(),
  start_time: Seconds.optional(),
  end_time: Seconds.optional(),
};

export const SegmentCreate = z.object({
  label_id: Id.optional(),
  label_name: z.string().min(1).max(255).optional(),
  ...Bounds,
  export_segment: z.boolean().optional(),
  /** Overrides the signed-in user's annotator identity (a second, independent annotation track). */
  annotator: z.string().min(1).max(255).optional(),
  notes: z.string().max(5000).optional(),
});
export type SegmentCreate = z.infer<typeof SegmentCreate>;

export const SegmentPatch = z.object({
  label_id: Id.optional(),
  label_name: z.string().min(1).max(255).optional(),
  ...Bounds,
  export_segment: z.boolean().optional(),
  notes: z.string().max(5000).optional(),
  /** The version the client edited; a different current version answers 409. */
  version: z.number().int().positive().optional(),
});
export type SegmentPatch = z.infer<typeof SegmentPatch>;

export const SegmentBulkRequest = z.object({
  creates: z.array(SegmentCreate.extend({ client_id: z.union([z.string().min(1).max(64), z.number().int()]) })).max(5000).default([]),
  updates: z.array(SegmentPatch.extend({ id: Id })).max(5000).default([]),
  deletes: z.array(Id).max(5000).default([]),
  annotator: z.string().min(1).max(255).optional(),
  defer_annotation_sync: z.boolean().optional(),
  ai_dataset_id: Id.nullable().optional(),
});
export type SegmentBulkRequest = z.infer<typeof SegmentBulkRequest>;

export const SegmentBulkResponse = z.object({
  created: z.array(z.object({ client_id: z.union([z.string(), z.number()]), segment: Segment })),
  updated: z.array(Segment),
  deleted: z.array(Id),
});
export type SegmentBulkResponse = z.infer<typeof SegmentBulkResponse>;

export const SegmentValidateRequest = z.object({
  is_validated: z.boolean().default(true),
  notes: z.string().max(5000).optional(),
  information_source_name: z.string().max(64).optional(),
  annotator: z.string().min(1).max(255).optional(),
});
export type SegmentValidateRequest = z.infer<typeof SegmentValidateRequest>;

export const SegmentValidateBulkRequest = SegmentValidateRequest.extend({
  segment_ids: z.array(Id).max(5000).optional(),
  /** Current bounds as the client shows them; a mismatch with the stored frames answers 409. */
  segments: z.array(z.object({ id: Id, start_time: Seconds.optional(), end_time: Seconds.optional() })).max(5000).optional(),
});
export type SegmentValidateBulkRequest = z.infer<typeof SegmentValidateBulkRequest>;

export const ValidationStatusResponse = z.object({
  video_id: Id,
  status: PostValidationStatus,
  /** Alias of `status`, as the video list names it. */
  post_validation_rebuild: PostValidationStatus,
  detail: z.string(),
  segment_annotations_validated: z.boolean(),
  outside_segments_removed: z.boolean(),
  segments_total: z.number().int(),
  segments_validated: z.number().int(),
  validated_annotators: z.array(z.string()),
  blackened_frames: z.number().int(),
  job_id: z.string().nullable(),
  updated_at: z.string().nullable(),
});
export type ValidationStatusResponse = z.infer<typeof ValidationStatusResponse>;

export const SegmentValidateBulkResponse = z.object({
  message: z.string(),
  updated_count: z.number().int(),
  job_id: z.string().nullable(),
  segment_annotation_status: ValidationStatusResponse,
});
export type SegmentValidateBulkResponse = z.infer<typeof SegmentValidateBulkResponse>;

export const BlackenOutsideRequest = z.object({ only_validated: z.boolean().default(true) });
export type BlackenOutsideRequest = z.infer<typeof BlackenOutsideRequest>;

export const QueuedJobResponse = z.object({ message: z.string(), job_id: z.string(), status: z.string() });
export type QueuedJobResponse = z.infer<typeof QueuedJobResponse>;

export const RerunPredictionsRequest = z.object({
  model_meta_id: Id.optional(),
  hf_model_id: z.string().min(1).max(255).optional(),
  labelset_name: z.string().max(255).optional(),
  labelset_version: z.number().int().positive().optional(),
  replace_prediction_segments: z.boolean().default(true),
  delete_frames_after: z.boolean().optional(),
});
export type RerunPredictionsRequest = z.infer<typeof RerunPredictionsRequest>;

export const ImportPredictionsRequest = z.object({
  prediction_meta_id: Id.optional(),
  label_ids: z.array(Id).max(500).optional(),
  annotator: z.string().min(1).max(255).optional(),
});
export type ImportPredictionsRequest = z.infer<typeof ImportPredictionsRequest>;

export const ImportPredictionsResponse = z.object({ created: z.number().int(), skipped: z.number().int(), segments: z.array(Segment) });
export type ImportPredictionsResponse = z.infer<typeof ImportPredictionsResponse>;

export const LabelItem = z.object({ id: Id, name: z.string(), display_name: z.string() });
export const LabelListResponse = z.array(LabelItem);
export const LabelSetItem = z.object({ id: Id, name: z.string(), version: z.number().int(), labels: z.array(LabelItem) });
export const LabelSetListResponse = z.array(LabelSetItem);

export const PredictionModelItem = z.object({
  id: Id,
  name: z.string(),
  version: z.number().int(),
  labelset_id: Id,
  labelset_name: z.string(),
  labelset_version: z.number().int(),
  weights_available: z.boolean(),
  is_active: z.boolean(),
});
export const PredictionModelListResponse = z.object({
  models: z.array(PredictionModelItem),
  default_huggingface_model_id: z.string(),
  huggingface_models: z.array(z.string()),
});
export type PredictionModelListResponse = z.infer<typeof PredictionModelListResponse>;

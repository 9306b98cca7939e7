import { z } from 'zod';

export const UploadStatus = z.enum(['pending', 'processing', 'anonymized', 'error', 'lost']);
export type UploadStatus = z.infer<typeof UploadStatus>;

/** `POST upload/`: 201 for a new job, 200 when an existing job was reused. */
export const UploadCreatedResponse = z.object({
  upload_id: z.string(),
  status_url: z.string(),
  message: z.string(),
});
export type UploadCreatedResponse = z.infer<typeof UploadCreatedResponse>;

/** Every refusal of `POST upload/` (400, 403, 500). */
export const UploadErrorResponse = z.object({ error: z.string() });
export type UploadErrorResponse = z.infer<typeof UploadErrorResponse>;

/** `GET upload/<uuid>/status/` (the original's status serializer). Poll every 2 s. */
export const UploadStatusResponse = z.object({
  id: z.string(),
  status: UploadStatus,
  error_detail: z.string(),
  sensitive_meta_id: z.number().int().nullable(),
  text: z.string().nullable(),
  anonymized_text: z.string().nullable(),
  source_center_key: z.string().nullable(),
  source_system: z.string(),
  ingest_mode: z.string(),
  report_llm_job: z.null(),
});
export type UploadStatusResponse = z.infer<typeof UploadStatusResponse>;

/** `POST upload/<uuid>/retry/` and `…/dismiss/` (also under `anonymization/upload-jobs/`). */
export const UploadJobActionResponse = z.object({
  upload_id: z.string(),
  status: UploadStatus,
  status_url: z.string(),
  requeued: z.boolean(),
  dismissed: z.boolean(),
  message: z.string(),
});
export type UploadJobActionResponse = z.infer<typeof UploadJobActionResponse>;

/** One quarantined file; never a path. */
export const QuarantineFile = z.object({
  id: z.string(),
  directory_key: z.literal('quarantine'),
  filename: z.string(),
  media_type: z.enum(['video', 'report', 'document', 'sidecar', 'unknown']),
  size: z.number().int(),
  quarantined_at: z.string(),
  reason: z.string(),
  upload_job_id: z.string().nullable(),
  dismissed: z.boolean(),
});
export type QuarantineFile = z.infer<typeof QuarantineFile>;

/** `GET runtime/quarantine/`. */
export const QuarantineListResponse = z.object({
  count: z.number().int(),
  total_size: z.number().int(),
  files: z.array(QuarantineFile),
});
export type QuarantineListResponse = z.infer<typeof QuarantineListResponse>;

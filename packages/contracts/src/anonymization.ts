import { z } from 'zod';
import { AnonymizationStatus } from './videos.js';

/** The anonymization workflow (reference-features W2–W5, §5.3–§5.6). */

export const MediaFileType = z.enum(['video', 'pdf']);
export type MediaFileType = z.infer<typeof MediaFileType>;

/** The last release gate of a file, as the validator sees it (no identifier values). */
export const ReleaseGateSummary = z.object({
  status: z.enum(['passed', 'blocked', 'not_verifiable']).nullable(),
  reasons: z.array(z.string()),
  checked_at: z.string().nullable(),
});
export type ReleaseGateSummary = z.infer<typeof ReleaseGateSummary>;

/** One row of `GET anonymization/items/overview/`: a video, a PDF, or a quarantined upload (read-only warning row). */
export const AnonymizationOverviewItem = z.object({
  id: z.union([z.number().int(), z.string()]),
  filename: z.string(),
  media_type: z.enum(['video', 'pdf', 'quarantine']),
  anonymization_status: AnonymizationStatus,
  annotation_status: z.string(),
  created_at: z.string(),
  sensitive_meta_id: z.number().int().nullable(),
  document_type: z.string().nullable(),
  center_id: z.number().int().nullable(),
  processing_locked: z.boolean(),
  upload_job: z.object({ id: z.string(), status: z.string(), error_detail: z.string() }).nullable(),
  pseudo_patient_id: z.number().int().nullable(),
  pseudo_examination_id: z.number().int().nullable(),
  error_detail: z.string(),
  read_only: z.boolean(),
});
export type AnonymizationOverviewItem = z.infer<typeof AnonymizationOverviewItem>;
export const AnonymizationOverviewResponse = z.array(AnonymizationOverviewItem);

/** `GET anonymization/<id>/status/`. */
export const AnonymizationStatusResponse = z.object({
  file_id: z.number().int(),
  file_type: MediaFileType,
  anonymization_status: AnonymizationStatus,
  processing_locked: z.boolean(),
});
export type AnonymizationStatusResponse = z.infer<typeof AnonymizationStatusResponse>;

/** `?type=` (or `file_type`, `media_type`) picks video or PDF where an id exists for both. */
export const MediaTypeQuery = z.object({
  type: MediaFileType.optional(),
  file_type: MediaFileType.optional(),
  media_type: MediaFileType.optional(),
});

export const AnonymizationStartResponse = z.object({
  file_id: z.number().int(),
  file_type: MediaFileType,
  job_id: z.string(),
  message: z.string(),
});

/** SensitiveMeta as the validation form and `media/…/sensitive-metadata/` show it. */
export const SensitiveMetaView = z.object({
  id: z.number().int(),
  center_id: z.number().int(),
  center_name: z.string(),
  patient_first_name: z.string().nullable(),
  patient_last_name: z.string().nullable(),
  patient_dob: z.string().nullable(),
  patient_gender: z.string().nullable(),
  examination_date: z.string().nullable(),
  examination_time: z.string().nullable(),
  casenumber: z.string().nullable(),
  examiner_first_name: z.string().nullable(),
  examiner_last_name: z.string().nullable(),
  endoscope_type: z.string().nullable(),
  endoscope_sn: z.string().nullable(),
  external_id: z.string().nullable(),
  anonymized_text: z.string().nullable(),
  validation_comment: z.string().nullable(),
  tags: z.array(z.string()),
  patient_hash: z.string().nullable(),
  examination_hash: z.string().nullable(),
  pseudo_patient_id: z.number().int().nullable(),
  pseudo_examination_id: z.number().int().nullable(),
  dob_verified: z.boolean(),
  names_verified: z.boolean(),
  is_verified: z.boolean(),
});
export type SensitiveMetaView = z.infer<typeof SensitiveMetaView>;

const optionalText = z.string().trim().max(255).nullable().optional();

/** `PATCH media/{videos|pdfs}/<pk>/sensitive-metadata/`. Dates as DD.MM.YYYY or YYYY-MM-DD. */
export const SensitiveMetaPatch = z
  .object({
    patient_first_name: optionalText,
    patient_last_name: optionalText,
    patient_dob: optionalText,
    patient_gender: z.enum(['male', 'female', 'divers', 'unknown']).nullable().optional(),
    examination_date: optionalText,
    examination_time: optionalText,
    casenumber: optionalText,
    examiner_first_name: optionalText,
    examiner_last_name: optionalText,
    endoscope_type: optionalText,
    endoscope_sn: optionalText,
    external_id: optionalText,
  })
  .strict();
export type SensitiveMetaPatch = z.infer<typeof SensitiveMetaPatch>;

/** `POST …/sensitive-metadata/verify/`. */
export const SensitiveMetaVerifyPayload = z.object({ dob_verified: z.boolean().optional(), names_verified: z.boolean().optional() }).strict();

/** `POST anonymization/<id>/validate/`: the W3 approval payload. */
export const ValidatePayload = z.object({
  patient_first_name: z.string().trim().min(1).max(255),
  patient_last_name: z.string().trim().min(1).max(255),
  patient_gender: z.enum(['male', 'female', 'divers', 'unknown']).nullable().optional(),
  patient_dob: z.string().trim().min(1).max(32),
  examination_date: z.string().trim().max(32).nullable().optional(),
  casenumber: z.string().trim().max(255).nullable().optional(),
  anonymized_text: z.string().max(2_000_000).nullable().optional(),
  text: z.string().max(2_000_000).nullable().optional(),
  is_verified: z.boolean().optional(),
  file_type: MediaFileType.optional(),
  center_name: z.string().max(255).nullable().optional(),
  external_id: z.string().trim().max(255).nullable().optional(),
  external_id_origin: z.string().trim().max(255).nullable().optional(),
  tags: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
  validation_comment: z.string().max(10_000).nullable().optional(),
  document_type: z.string().trim().max(255).nullable().optional(),
  no_more_names_confirmed: z.union([z.enum(['unknown', 'confirmed', 'not_confirmed']), z.boolean()]).nullable().optional(),
  patient_examination_id: z.number().int().positive().nullable().optional(),
});
export type ValidatePayload = z.infer<typeof ValidatePayload>;

export const FieldMetricView = z.object({
  field_name: z.string(),
  present_before: z.boolean(),
  present_after: z.boolean(),
  changed: z.boolean(),
  exact_match: z.boolean(),
  similarity: z.number(),
});

export const ValidateResponse = z.object({
  message: z.string(),
  file_id: z.number().int(),
  file_type: MediaFileType,
  anonymization_status: AnonymizationStatus,
  sensitive_meta_id: z.number().int(),
  pseudo_patient_id: z.number().int(),
  pseudo_examination_id: z.number().int().nullable(),
  patient_examination_id: z.number().int().nullable(),
  metric_id: z.number().int(),
  field_metrics: z.array(FieldMetricView),
});
export type ValidateResponse = z.infer<typeof ValidateResponse>;

/** 400 of `validate/` for a missing or unknown document type. */
export const InvalidDocumentTypeResponse = z.object({ error: z.string(), allowed_document_types: z.array(z.string()) });

export const DocumentTypeOption = z.object({ id: z.number().int(), name: z.string(), display_name: z.string() });
export const DocumentTypesResponse = z.array(DocumentTypeOption);

/** `GET/POST anonymization/<id>/current/`: the item to validate, with its SensitiveMeta. */
export const CurrentItemResponse = z.object({
  id: z.number().int(),
  file_id: z.number().int(),
  file_type: MediaFileType,
  filename: z.string(),
  center_id: z.number().int(),
  anonymization_status: AnonymizationStatus,
  processing_locked: z.boolean(),
  document_type: z.string().nullable(),
  text: z.string().nullable(),
  anonymized_text: z.string().nullable(),
  sensitive_meta: SensitiveMetaView.nullable(),
  release_gate: ReleaseGateSummary,
  has_raw: z.boolean(),
  has_processed: z.boolean(),
  raw_url: z.string().nullable(),
  processed_url: z.string().nullable(),
});
export type CurrentItemResponse = z.infer<typeof CurrentItemResponse>;

export const HasRawResponse = z.object({ file_id: z.number().int(), file_type: MediaFileType, has_raw: z.boolean() });
export const ClearLocksResponse = z.object({ cleared: z.number().int(), type: z.enum(['video', 'pdf', 'all']), message: z.string() });
export const ResetStatusResponse = z.object({ file_id: z.number().int(), file_type: MediaFileType, anonymization_status: AnonymizationStatus, message: z.string() });

/** `GET/POST media/{videos|pdfs}/<pk>/case-resolution/`. */
export const CaseResolutionResponse = z.object({
  media_id: z.number().int(),
  media_type: MediaFileType,
  status: z.enum(['linked', 'not_linked']),
  sensitive_meta_id: z.number().int().nullable(),
  pseudo_patient_id: z.number().int().nullable(),
  patient_examination_id: z.number().int().nullable(),
  patient_hash: z.string().nullable(),
  examination_hash: z.string().nullable(),
  suggestions: z.array(z.object({ patient_examination_id: z.number().int(), patient_id: z.number().int(), examination_id: z.number().int().nullable() })),
});
export const CaseResolutionPayload = z.union([
  z.object({ patient_examination_id: z.number().int().positive() }).strict(),
  z.object({ create: z.literal(true), examination_id: z.number().int().positive().nullable().optional() }).strict(),
]);

export const PdfHistoryEntry = z.object({
  id: z.number().int(),
  operation: z.enum(['import', 'apply_redactions', 'release_gate', 'reimport']),
  status: z.enum(['queued', 'running', 'success', 'failed']),
  config: z.record(z.string(), z.unknown()),
  output: z.record(z.string(), z.unknown()),
  error_detail: z.string(),
  processed_version: z.number().int().nullable(),
  output_sha256: z.string().nullable(),
  actor: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  duration_ms: z.number().int().nullable(),
});
export type PdfHistoryEntry = z.infer<typeof PdfHistoryEntry>;

export const PdfListItem = z.object({
  id: z.number().int(),
  uuid: z.string(),
  original_file_name: z.string().nullable(),
  center_id: z.number().int(),
  anonymization_status: AnonymizationStatus,
  document_type: z.string().nullable(),
  sensitive_meta_id: z.number().int().nullable(),
  patient_examination_id: z.number().int().nullable(),
  processed_version: z.number().int(),
  gate_status: z.string().nullable(),
  has_raw: z.boolean(),
  has_processed: z.boolean(),
  created_at: z.string(),
});
export const PdfListResponse = z.object({ count: z.number().int(), results: z.array(PdfListItem) });
export const PdfDetailResponse = PdfListItem.extend({ anonymized_text: z.string().nullable(), release_gate: ReleaseGateSummary, history: z.array(PdfHistoryEntry) });

/** `POST media/pdfs/<pk>/apply-redactions/`: boxes in PDF points, top-left origin, page from 1. */
export const ApplyRedactionsPayload = z.object({
  boxes: z.array(z.object({ page: z.number().int().min(1), x: z.number().finite(), y: z.number().finite(), width: z.number().finite().positive(), height: z.number().finite().positive() })).min(1).max(10_000),
});
export const PdfRunQueuedResponse = z.object({ pdf_id: z.number().int(), history_id: z.number().int(), job_id: z.string(), status: z.literal('queued'), message: z.string() });

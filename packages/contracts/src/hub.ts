import { z } from 'zod';

/**
 * Hub transfer wire shapes: the receiver on `central_hub` (`media/hub/transfers/…`) and the
 * sender's local export API (`hub-export/…`), both under `/endoreg-api/` and `/api/`.
 */

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters');
const NodeKey = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,99}$/, 'lowercase letters, digits, - and _ (max 100)');

export const NODE_ROLES = ['central_hub', 'site_node', 'standalone'] as const;
export const NodeRole = z.enum(NODE_ROLES);
export type NodeRole = z.infer<typeof NodeRole>;

export const HUB_SCHEMA_VERSIONS = ['2.0', '3.0'] as const;
export const TRANSFER_STATUSES = ['pending', 'awaiting_media', 'applied', 'failed', 'inconsistent'] as const;
export const TransferStatus = z.enum(TRANSFER_STATUSES);
export const TRANSFER_MODES = ['metadata_only', 'metadata_and_processed_media', 'metadata_and_raw_media', 'metadata_raw_and_processed_media'] as const;
export const RAW_MEDIA_MODES = ['metadata_and_raw_media', 'metadata_raw_and_processed_media'] as const;
export const PROCESSING_POLICIES = ['reprocess_always', 'reprocess_if_missing_outputs', 'preserve_processing_state', 'ingest_only_no_processing'] as const;
export const PROCESSING_INTENTS = ['sender_requests_hub_processing', 'sender_requests_state_preservation', 'sender_requests_archive_only'] as const;
export const PROCESSING_DECISIONS = ['start_processing', 'skip_processing_existing_success', 'skip_processing_preserved_state', 'wait_for_missing_media', 'mark_inconsistent', 'reject_transfer'] as const;
export const CLEANUP_POLICIES = ['retain_all', 'delete_central_raw_after_apply', 'delete_central_raw_after_verified_backup', 'delete_central_source_after_anonymized_derivatives_exist'] as const;
export const CASE_RESOLUTION_STATUSES = ['pending', 'linked', 'ambiguous', 'unresolved'] as const;

/** Pseudonymous sensitive meta: only the two hashes may leave a site. */
export const HubSensitiveMeta = z.object({ patient_hash: Sha256Hex, examination_hash: Sha256Hex }).strict();

export const HubVideoFileRow = z
  .object({
    video_hash: Sha256Hex,
    processed_video_hash: Sha256Hex,
    suffix: z.string().regex(/^\.[a-z0-9]{1,8}$/),
    fps: z.number().positive().nullable(),
    duration: z.number().nonnegative().nullable(),
    frame_count: z.number().int().nonnegative().nullable(),
    width: z.number().int().positive().nullable(),
    height: z.number().int().positive().nullable(),
  })
  .strict();

export const HubStateRow = z
  .object({
    anonymized: z.boolean(),
    anonymization_validated: z.boolean(),
    processing_error: z.boolean(),
    ready_for_export: z.boolean().optional(),
    processed_file_sha256: Sha256Hex,
  })
  .strict();

export const HubPdfFileRow = z.object({ pdf_hash: Sha256Hex, anonymized_text: z.string().min(1), text: z.never().optional() }).strict();

export const HubProcessingHistory = z.object({ file_hash: Sha256Hex, success: z.boolean() }).strict();

/** `resource_rows` of a create payload; unknown keys are refused (exact whitelists). */
export const HubResourceRows = z
  .object({
    video_file: HubVideoFileRow.optional(),
    video_state: HubStateRow.optional(),
    raw_pdf_file: HubPdfFileRow.optional(),
    raw_pdf_state: HubStateRow.optional(),
    sensitive_meta: HubSensitiveMeta.optional(),
    processing_history: HubProcessingHistory.optional(),
  })
  .strict();
export type HubResourceRows = z.infer<typeof HubResourceRows>;

/** Body of `POST media/hub/transfers/`. */
export const HubTransferCreate = z
  .object({
    transfer_key: z.string().min(1).max(255),
    source_node_key: NodeKey,
    target_node_key: NodeKey.optional(),
    source_center_key: z.string().min(1).max(255).optional(),
    resource_kind: z.enum(['video', 'report']),
    resource_hash: Sha256Hex,
    transfer_mode: z.enum(TRANSFER_MODES),
    processing_policy: z.enum(PROCESSING_POLICIES),
    processing_intent: z.enum(PROCESSING_INTENTS),
    cleanup_policy: z.enum(CLEANUP_POLICIES),
    payload_schema_version: z.string().max(8),
    resource_rows: HubResourceRows,
    processing_snapshot: z.record(z.string(), z.union([z.boolean(), z.string(), z.number()])).default({}),
    provenance: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type HubTransferCreate = z.infer<typeof HubTransferCreate>;

/** What the hub answers for an upload delivered inside an encrypted envelope (schema 3.0). */
export const EnvelopeReceipt = z.object({
  plaintext_sha256: Sha256Hex,
  target_node_key: z.string(),
  recipient_key_id: z.string(),
  envelope_sha256: Sha256Hex,
  plaintext_bytes: z.number().int().nonnegative(),
});
export type EnvelopeReceipt = z.infer<typeof EnvelopeReceipt>;

/** Response of create (201/200), status and media upload. */
export const HubTransferStatus = z.object({
  id: z.string(),
  transfer_key: z.string(),
  source_node_key: z.string(),
  target_node_key: z.string(),
  source_center_key: z.string(),
  resource_kind: z.enum(['video', 'report']),
  resource_hash: z.string(),
  transfer_mode: z.string(),
  transfer_status: TransferStatus,
  processing_policy: z.string(),
  processing_intent: z.string(),
  processing_decision: z.string(),
  cleanup_policy: z.string(),
  cleanup_status: z.string(),
  payload_schema_version: z.string(),
  status_detail: z.string(),
  target_object_id: z.number().int().nullable(),
  linked_patient_id: z.number().int().nullable(),
  linked_patient_examination_id: z.number().int().nullable(),
  case_resolution_status: z.enum(CASE_RESOLUTION_STATUSES),
  created_at: z.string(),
  updated_at: z.string(),
  envelope_receipt: EnvelopeReceipt.nullable().optional(),
});
export type HubTransferStatus = z.infer<typeof HubTransferStatus>;

/** `GET media/hub/transfers/envelope-key/`: the hub's active X25519 recipient key (schema 3.0). */
export const HubEnvelopeKey = z.object({
  algorithm: z.literal('X25519-HKDF-SHA256-AES-256-GCM'),
  key_id: z.string(),
  public_key: z.string(),
  target_node_key: z.string(),
});
export type HubEnvelopeKey = z.infer<typeof HubEnvelopeKey>;

// ---- sender: local export API --------------------------------------------------------------

export const LOCAL_STATUSES = ['marked', 'queued', 'registering', 'awaiting_media', 'uploading', 'completed', 'failed'] as const;
export const LocalStatus = z.enum(LOCAL_STATUSES);
export type LocalStatus = z.infer<typeof LocalStatus>;

export const BLOCKED_REASONS = ['missing_center', 'not_ready_for_export', 'missing_processed_file', 'segment_cleanup_pending', 'segment_cleanup_failed'] as const;
export const BlockedReason = z.enum(BLOCKED_REASONS);
export type BlockedReason = z.infer<typeof BlockedReason>;

export const HubExportOverviewQuery = z.object({ target_node_key: z.string().max(100).optional() });

export const HubExportItem = z.object({
  resource_kind: z.enum(['video', 'report']),
  id: z.number().int(),
  center_key: z.string(),
  resource_hash: z.string(),
  eligible: z.boolean(),
  blocked_reason: BlockedReason.nullable(),
  job: z
    .object({
      id: z.string(),
      transfer_key: z.string(),
      local_status: LocalStatus,
      retry_count: z.number().int(),
      last_error: z.string(),
      remote_transfer_status: z.string(),
      payload_schema_version: z.string(),
      marked_by: z.string(),
      marked_at: z.string().nullable(),
      completed_at: z.string().nullable(),
      local_cleanup_status: z.string(),
    })
    .nullable(),
});
export type HubExportItem = z.infer<typeof HubExportItem>;

export const PrivacyClass = z.object({ center_key: z.string(), resource_kind: z.string(), exam_year: z.string(), age_band: z.string(), gender: z.string(), count: z.number().int() });

export const PrivacySummary = z.object({
  min_k: z.number().int(),
  total_cases: z.number().int(),
  class_count: z.number().int(),
  classes_below_k: z.number().int(),
  cases_below_k: z.number().int(),
  satisfies_k: z.boolean(),
  classes: z.array(PrivacyClass),
});
export type PrivacySummary = z.infer<typeof PrivacySummary>;

export const SyncSummaryCenter = z.object({
  center_key: z.string(),
  processed_files: z.number().int(),
  candidates: z.number().int(),
  rejections: z.number().int(),
  duplicates: z.number().int(),
});

export const HubExportOverview = z.object({
  selected_target_node_key: z.string().nullable(),
  source_node_key: z.string().nullable(),
  hub_nodes: z.array(z.object({ node_key: z.string(), display_name: z.string(), base_url: z.string() })),
  config_ready: z.boolean(),
  config_error: z.string(),
  privacy_summary: PrivacySummary,
  sync_summary: z.object({ centers: z.array(SyncSummaryCenter), by_status: z.record(z.string(), z.number().int()) }),
  items: z.array(HubExportItem),
});
export type HubExportOverview = z.infer<typeof HubExportOverview>;

const ResourceRef = z
  .object({
    resource_kind: z.enum(['video', 'report']).optional(),
    resourceKind: z.enum(['video', 'report']).optional(),
    kind: z.enum(['video', 'report']).optional(),
    id: z.coerce.number().int().positive(),
  })
  .transform((r, ctx) => {
    const kind = r.resource_kind ?? r.resourceKind ?? r.kind;
    if (!kind) {
      ctx.addIssue({ code: 'custom', message: 'resource_kind fehlt' });
      return z.NEVER;
    }
    return { resource_kind: kind, id: r.id };
  });

/** Body of `POST hub-export/mark/` and `unmark/`. */
export const HubExportMarkRequest = z.object({
  target_node_key: z.string().max(100).optional(),
  targetNodeKey: z.string().max(100).optional(),
  resources: z.array(ResourceRef).min(1).max(500),
});
export type HubExportMarkRequest = z.infer<typeof HubExportMarkRequest>;

export const HubExportMarkResponse = z.object({ marked_count: z.number().int(), target_node_key: z.string() });
export const HubExportUnmarkResponse = z.object({ unmarked_count: z.number().int(), target_node_key: z.string() });

/** Body and answer of `POST hub-export/queue/`: queue every marked (and failed) row of the actor's centers. */
export const HubExportQueueRequest = z.object({ target_node_key: z.string().max(100).optional() });
export const HubExportQueueResponse = z.object({ queued_count: z.number().int() });

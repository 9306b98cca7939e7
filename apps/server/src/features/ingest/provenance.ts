import { z } from 'zod';
import { Invalid } from '../../shared/errors.js';

const text = z.string().max(4096);
const optionalText = text.nullable().optional();

/**
 * `processing_provenance` of an upload job (§3.3): how and where it entered, what
 * was declared and resolved, where its files went. Strict: a key that is not listed
 * here is refused, so a typo never silently drops provenance. Paths in it are
 * absolute or storage-relative; this JSON never leaves the server (the status and
 * quarantine endpoints expose none of it).
 */
export const Provenance = z
  .object({
    entrypoint: z.enum(['upload_api', 'file_watcher']).optional(),
    ingest_mode: z.enum(['api', 'watcher']).optional(),
    source_system: optionalText,
    content_hash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    source_center_key: optionalText,
    storage_class: z.enum(['ingest', 'managed', 'quarantine']).optional(),
    storage_tier: z.enum(['upload_api', 'upload_watcher', 'upload_preanonymized']).optional(),
    retention_policy: z.enum(['preserve_source', 'delete_after_success', 'migration_managed']).optional(),
    /** The deployment role that decided the center rules (`standalone`, `site_node`, `central_hub`). */
    hub_mode: optionalText,
    declared_center_key: optionalText,
    declared_center_name: optionalText,
    resolved_center_key: optionalText,
    watched_path: optionalText,
    file_type: z.enum(['video', 'report', 'document']).optional(),
    ingest_variant: z.literal('preanonymized').optional(),
    sidecar_path: optionalText,
    /** The validated preanonymized sidecar; the worker reads it after the sidecar file is gone. */
    sidecar_payload: z.record(z.string(), z.unknown()).nullable().optional(),
    watcher_processing_path: optionalText,
    processor_name: optionalText,
    processing_handoff: z.enum(['inline', 'celery', 'ffmpeg_media']).optional(),
    stored_upload_path: optionalText,
    quarantined_path: optionalText,
    quarantined_sidecar_path: optionalText,
    quarantined_at: optionalText,
    custom_marker: optionalText,
    legacy_source_path: optionalText,
    migrated_destination_path: optionalText,
    local_study_server: z.boolean().optional(),
    video_import_task_id: optionalText,
    video_import_queue: optionalText,
    video_import_fencing_epoch: z.number().int().optional(),
    media_integrity_status: z.enum(['ok', 'failed']).optional(),
    media_integrity_detail: optionalText,
    media_integrity_checked_at: optionalText,
    previous_upload_job_id: z.uuid().optional(),
    superseded_by_upload_job_id: z.uuid().optional(),
    retried_at: optionalText,
    retried_by: optionalText,
    retry_count: z.number().int().min(0).optional(),
    processing_job_id: optionalText,
    processing_attempt: z.number().int().min(1).optional(),
  })
  .strict();
export type Provenance = z.infer<typeof Provenance>;

/** Validates provenance before it is written; an unknown key or wrong type is a programming error. */
export function checkedProvenance(value: unknown): Provenance {
  const parsed = Provenance.safeParse(value);
  if (!parsed.success) {
    throw new Invalid('Invalid upload job provenance', parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  return parsed.data;
}

/** `base` with `patch` applied (undefined values in the patch leave the key alone), validated. */
export function mergeProvenance(base: Provenance, patch: Partial<Provenance>): Provenance {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) if (value !== undefined) merged[key] = value;
  return checkedProvenance(merged);
}

import { randomUUID } from 'node:crypto';
import type { Executor } from './upload-jobs.repository.js';
import type { PreanonymizedPayload } from './watcher/sidecar.js';

/** The media row a content hash already has, with its center (center isolation: never attach across centers). */
export async function findMediaByHash(db: Executor, kind: 'video' | 'report', hash: string): Promise<{ id: number; centerId: number; sensitiveMetaId: number | null } | undefined> {
  const row =
    kind === 'video'
      ? await db.selectFrom('video_files').select(['id', 'center_id', 'sensitive_meta_id']).where('video_hash', '=', hash).executeTakeFirst()
      : await db.selectFrom('pdf_files').select(['id', 'center_id', 'sensitive_meta_id']).where('pdf_hash', '=', hash).executeTakeFirst();
  return row && { id: Number(row.id), centerId: Number(row.center_id), sensitiveMetaId: row.sensitive_meta_id === null ? null : Number(row.sensitive_meta_id) };
}

/** Creates or updates the SensitiveMeta from the sidecar; returns its id. */
export async function upsertSensitiveMeta(db: Executor, existingId: number | null, centerId: number, payload: PreanonymizedPayload, now: string): Promise<number> {
  const values = {
    center_id: centerId,
    examination_date: payload.examination_date,
    examination_time: payload.examination_time,
    casenumber: payload.casenumber,
    patient_first_name: payload.patient_first_name,
    patient_last_name: payload.patient_last_name,
    patient_dob: payload.patient_dob,
    patient_gender: payload.patient_gender,
    patient_hash: payload.patient_hash,
    examination_hash: payload.examination_hash,
    endoscope_type: payload.endoscope_type,
    endoscope_sn: payload.endoscope_sn,
    external_id: payload.external_id,
    text: payload.text,
    anonymized_text: payload.anonymized_text ?? payload.text,
    updated_at: now,
  };
  if (existingId !== null) {
    const updated = await db.updateTable('sensitive_meta').set(values).where('id', '=', existingId).returning('id').executeTakeFirst();
    if (updated) return Number(updated.id);
  }
  const row = await db.insertInto('sensitive_meta').values({ ...values, created_at: now }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export interface PreanonymizedMedia {
  readonly kind: 'video' | 'report';
  readonly hash: string;
  readonly centerId: number;
  readonly uploadJobId: string;
  readonly storedPath: string;
  readonly originalFilename: string;
  readonly sensitiveMetaId: number;
  readonly payload: PreanonymizedPayload;
  /** `text/plain` for a SAP text document, else the media type. */
  readonly carrier: string;
  readonly sourceSystem: string;
}

/**
 * The media record of a preanonymized file, created or updated by hash, with every
 * state flag a finished anonymization sets (processing started, sensitive meta
 * processed, anonymized, anonymization validated): the content arrived anonymized.
 */
export async function upsertPreanonymizedMedia(db: Executor, media: PreanonymizedMedia, now: string): Promise<number> {
  return media.kind === 'video' ? upsertVideo(db, media, now) : upsertReport(db, media, now);
}

async function upsertVideo(db: Executor, media: PreanonymizedMedia, now: string): Promise<number> {
  const values = {
    center_id: media.centerId,
    processed_file: media.storedPath,
    processed_video_hash: media.hash,
    original_file_name: media.originalFilename,
    examination_date: media.payload.examination_date,
    sensitive_meta_id: media.sensitiveMetaId,
    upload_job_id: media.uploadJobId,
    updated_at: now,
  };
  const existing = await db.selectFrom('video_files').select('id').where('video_hash', '=', media.hash).executeTakeFirst();
  const id = existing
    ? Number(existing.id)
    : Number((await db.insertInto('video_files').values({ ...values, uuid: randomUUID(), video_hash: media.hash, uploaded_at: now, created_at: now }).returning('id').executeTakeFirstOrThrow()).id);
  if (existing) await db.updateTable('video_files').set(values).where('id', '=', id).execute();
  const flags = { processing_started: true, sensitive_meta_processed: true, anonymized: true, anonymization_validated: true, processed_file_sha256: media.hash, updated_at: now };
  const state = await db.selectFrom('video_states').select('id').where('video_file_id', '=', id).executeTakeFirst();
  if (state) await db.updateTable('video_states').set(flags).where('id', '=', state.id).execute();
  else await db.insertInto('video_states').values({ video_file_id: id, ...flags }).execute();
  return id;
}

async function upsertReport(db: Executor, media: PreanonymizedMedia, now: string): Promise<number> {
  const { payload } = media;
  const textDocument = media.carrier === 'text/plain';
  const rawMeta = {
    ingest_variant: 'preanonymized',
    carrier: media.carrier,
    source_system: media.sourceSystem,
    external_id_origin: payload.external_id_origin,
    original_document_id: payload.original_document_id,
    original_document_version: payload.original_document_version,
    raw_columns: payload.raw_columns,
  };
  const values = {
    center_id: media.centerId,
    file: null,
    processed_file: media.storedPath,
    original_file_name: media.originalFilename,
    text: payload.text,
    anonymized_text: payload.anonymized_text ?? payload.text,
    raw_meta: JSON.stringify(rawMeta),
    pdf_type: textDocument ? 'preanonymized_text' : 'preanonymized_pdf',
    document_type: payload.source_document_type,
    sensitive_meta_id: media.sensitiveMetaId,
    upload_job_id: media.uploadJobId,
    updated_at: now,
  };
  const existing = await db.selectFrom('pdf_files').select('id').where('pdf_hash', '=', media.hash).executeTakeFirst();
  const id = existing
    ? Number(existing.id)
    : Number((await db.insertInto('pdf_files').values({ ...values, uuid: randomUUID(), pdf_hash: media.hash, created_at: now }).returning('id').executeTakeFirstOrThrow()).id);
  if (existing) await db.updateTable('pdf_files').set(values).where('id', '=', id).execute();
  const flags = {
    text_meta_extracted: payload.text !== null,
    processing_started: true,
    sensitive_meta_processed: true,
    anonymized: true,
    anonymization_validated: true,
    processed_file_sha256: media.hash,
    updated_at: now,
  };
  const state = await db.selectFrom('pdf_states').select('id').where('pdf_file_id', '=', id).executeTakeFirst();
  if (state) await db.updateTable('pdf_states').set(flags).where('id', '=', state.id).execute();
  else await db.insertInto('pdf_states').values({ pdf_file_id: id, ...flags }).execute();
  return id;
}

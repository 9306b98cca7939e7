import { randomUUID } from 'node:crypto';
import type { HubResourceRows } from '@lx/contracts';
import type { Transaction } from 'kysely';
import { dbInt, nowIso, type DB } from '../../db/index.js';

export interface AppliedMetadata {
  readonly targetObjectId: number;
  /** The resource already existed under another center: the transfer cannot be applied. */
  readonly centerConflict: boolean;
  /** The hub already holds the processed file with the declared hash. */
  readonly mediaPresent: boolean;
  readonly linkedPatientId: number | null;
  readonly linkedPatientExaminationId: number | null;
  readonly caseResolution: 'linked' | 'unresolved';
}

/** Upserts the pseudonymous sensitive meta (the two hashes only) of a transferred resource. */
async function upsertSensitiveMeta(trx: Transaction<DB>, centerId: number, meta: HubResourceRows['sensitive_meta'], existingId: number | null): Promise<number | null> {
  if (!meta) return existingId;
  const now = nowIso();
  if (existingId !== null) {
    await trx.updateTable('sensitive_meta').set({ patient_hash: meta.patient_hash, examination_hash: meta.examination_hash, updated_at: now }).where('id', '=', existingId).execute();
    return existingId;
  }
  const row = await trx
    .insertInto('sensitive_meta')
    .values({ center_id: centerId, patient_hash: meta.patient_hash, examination_hash: meta.examination_hash, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return dbInt.parse(row.id);
}

/** Case auto-resolution: a pseudonymous examination with the same hash links the resource. */
async function resolveCase(trx: Transaction<DB>, meta: HubResourceRows['sensitive_meta']): Promise<{ patientId: number | null; examinationId: number | null }> {
  if (!meta) return { patientId: null, examinationId: null };
  const exam = await trx.selectFrom('patient_examinations').select(['id', 'patient_id']).where('hash', '=', meta.examination_hash).executeTakeFirst();
  return exam ? { patientId: dbInt.parse(exam.patient_id), examinationId: dbInt.parse(exam.id) } : { patientId: null, examinationId: null };
}

/** Finds or creates the transferred video under the source center and records its metadata. */
export async function applyVideoMetadata(trx: Transaction<DB>, centerId: number, rows: HubResourceRows): Promise<AppliedMetadata> {
  const file = rows.video_file;
  if (!file) throw new Error('video_file missing after validation');
  const now = nowIso();
  const existing = await trx.selectFrom('video_files').select(['id', 'center_id', 'sensitive_meta_id', 'processed_video_hash', 'processed_file']).where('video_hash', '=', file.video_hash).executeTakeFirst();
  if (existing && dbInt.parse(existing.center_id) !== centerId) {
    return { targetObjectId: dbInt.parse(existing.id), centerConflict: true, mediaPresent: false, linkedPatientId: null, linkedPatientExaminationId: null, caseResolution: 'unresolved' };
  }
  const caseLink = await resolveCase(trx, rows.sensitive_meta);
  let videoId: number;
  let metaId: number | null;
  if (existing) {
    videoId = dbInt.parse(existing.id);
    metaId = await upsertSensitiveMeta(trx, centerId, rows.sensitive_meta, existing.sensitive_meta_id === null ? null : dbInt.parse(existing.sensitive_meta_id));
  } else {
    metaId = await upsertSensitiveMeta(trx, centerId, rows.sensitive_meta, null);
    const inserted = await trx
      .insertInto('video_files')
      .values({
        uuid: randomUUID(),
        center_id: centerId,
        processor_id: null,
        raw_file: null,
        processed_file: null,
        video_hash: file.video_hash,
        processed_video_hash: null,
        original_file_name: null,
        uploaded_at: now,
        fps: file.fps,
        duration_seconds: file.duration,
        frame_count: file.frame_count,
        width: file.width,
        height: file.height,
        examination_date: null,
        patient_id: null,
        patient_examination_id: null,
        sensitive_meta_id: null,
        upload_job_id: null,
        raw_streamable_relative_path: null,
        processed_streamable_relative_path: null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    videoId = dbInt.parse(inserted.id);
    await trx.insertInto('video_states').values({ video_file_id: videoId, updated_at: now }).execute();
  }
  await trx
    .updateTable('video_files')
    .set({ sensitive_meta_id: metaId, patient_id: caseLink.patientId, patient_examination_id: caseLink.examinationId, updated_at: now })
    .where('id', '=', videoId)
    .execute();
  const mediaPresent = existing !== undefined && existing.processed_file !== null && existing.processed_video_hash === file.processed_video_hash;
  return {
    targetObjectId: videoId,
    centerConflict: false,
    mediaPresent,
    linkedPatientId: caseLink.patientId,
    linkedPatientExaminationId: caseLink.examinationId,
    caseResolution: caseLink.examinationId === null ? 'unresolved' : 'linked',
  };
}

/** Finds or creates the transferred report (anonymized text only) under the source center. */
export async function applyReportMetadata(trx: Transaction<DB>, centerId: number, rows: HubResourceRows): Promise<AppliedMetadata> {
  const file = rows.raw_pdf_file;
  if (!file) throw new Error('raw_pdf_file missing after validation');
  const now = nowIso();
  const existing = await trx.selectFrom('pdf_files').select(['id', 'center_id', 'sensitive_meta_id', 'processed_file']).where('pdf_hash', '=', file.pdf_hash).executeTakeFirst();
  if (existing && dbInt.parse(existing.center_id) !== centerId) {
    return { targetObjectId: dbInt.parse(existing.id), centerConflict: true, mediaPresent: false, linkedPatientId: null, linkedPatientExaminationId: null, caseResolution: 'unresolved' };
  }
  const caseLink = await resolveCase(trx, rows.sensitive_meta);
  let pdfId: number;
  let metaId: number | null;
  if (existing) {
    pdfId = dbInt.parse(existing.id);
    metaId = await upsertSensitiveMeta(trx, centerId, rows.sensitive_meta, existing.sensitive_meta_id === null ? null : dbInt.parse(existing.sensitive_meta_id));
  } else {
    metaId = await upsertSensitiveMeta(trx, centerId, rows.sensitive_meta, null);
    const inserted = await trx
      .insertInto('pdf_files')
      .values({ uuid: randomUUID(), center_id: centerId, file: null, processed_file: null, pdf_hash: file.pdf_hash, original_file_name: null, text: null, anonymized_text: file.anonymized_text, patient_id: null, patient_examination_id: null, examiner_id: null, pdf_type: null, document_type: null, sensitive_meta_id: null, upload_job_id: null, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    pdfId = dbInt.parse(inserted.id);
    await trx.insertInto('pdf_states').values({ pdf_file_id: pdfId, updated_at: now }).execute();
  }
  await trx
    .updateTable('pdf_files')
    .set({ sensitive_meta_id: metaId, anonymized_text: file.anonymized_text, patient_id: caseLink.patientId, patient_examination_id: caseLink.examinationId, updated_at: now })
    .where('id', '=', pdfId)
    .execute();
  return {
    targetObjectId: pdfId,
    centerConflict: false,
    mediaPresent: existing !== undefined && existing.processed_file !== null,
    linkedPatientId: caseLink.patientId,
    linkedPatientExaminationId: caseLink.examinationId,
    caseResolution: caseLink.examinationId === null ? 'unresolved' : 'linked',
  };
}

/** After a verified media upload: the resource holds the processed file and counts as validated. */
export async function markMediaApplied(trx: Transaction<DB>, kind: 'video' | 'report', targetId: number, storedPath: string, sha256: string): Promise<void> {
  const now = nowIso();
  if (kind === 'video') {
    await trx.updateTable('video_files').set({ processed_file: storedPath, processed_video_hash: sha256, updated_at: now }).where('id', '=', targetId).execute();
    await trx
      .updateTable('video_states')
      .set({ anonymized: true, anonymization_validated: true, processing_error: false, sensitive_meta_processed: true, processed_file_sha256: sha256, updated_at: now })
      .where('video_file_id', '=', targetId)
      .execute();
  } else {
    await trx.updateTable('pdf_files').set({ processed_file: storedPath, updated_at: now }).where('id', '=', targetId).execute();
    await trx
      .updateTable('pdf_states')
      .set({ anonymized: true, anonymization_validated: true, processing_error: false, sensitive_meta_processed: true, processed_file_sha256: sha256, updated_at: now })
      .where('pdf_file_id', '=', targetId)
      .execute();
  }
}

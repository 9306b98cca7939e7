import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { dbInt, dbJson, type DB } from '../../../db/index.js';
import type { FieldMetric } from './field-metrics.js';

type Executor = Kysely<DB> | Transaction<DB>;

export async function listDocumentTypes(db: Executor): Promise<{ id: number; name: string; display_name: string }[]> {
  const rows = await db.selectFrom('document_types').select(['id', 'name', 'display_name']).orderBy('display_name').execute();
  return rows.map((r) => ({ id: Number(r.id), name: r.name, display_name: r.display_name }));
}

/** Validation tags stored on a SensitiveMeta (JSON array). */
export async function readValidationTags(db: Executor, sensitiveMetaId: number): Promise<string[]> {
  const row = await db.selectFrom('sensitive_meta').select('validation_tags').where('id', '=', sensitiveMetaId).executeTakeFirst();
  return row ? (dbJson(z.array(z.string())).safeParse(row.validation_tags).data ?? []) : [];
}

export interface ValidationMetricInput {
  readonly centerId: number;
  readonly mediaType: 'video' | 'pdf';
  readonly mediaId: number;
  readonly sensitiveMetaId: number;
  readonly documentType: string | null;
  readonly sourceSystem: string | null;
  readonly noMoreNamesConfirmed: 'unknown' | 'confirmed' | 'not_confirmed';
  readonly validatedBy: string;
  readonly fields: readonly FieldMetric[];
}

export async function insertValidationMetric(db: Executor, input: ValidationMetricInput, now: string): Promise<number> {
  const row = await db
    .insertInto('anonymization_validation_metrics')
    .values({
      center_id: input.centerId,
      media_type: input.mediaType,
      media_id: input.mediaId,
      sensitive_meta_id: input.sensitiveMetaId,
      document_type: input.documentType,
      source_system: input.sourceSystem,
      no_more_names_confirmed: input.noMoreNamesConfirmed,
      fields_total: input.fields.length,
      fields_changed: input.fields.filter((f) => f.changed).length,
      validated_by: input.validatedBy,
      validated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const metricId = Number(row.id);
  if (input.fields.length > 0) {
    await db
      .insertInto('anonymization_field_metrics')
      .values(input.fields.map((f) => ({ metric_id: metricId, field_name: f.field_name, present_before: f.present_before, present_after: f.present_after, changed: f.changed, exact_match: f.exact_match, similarity: f.similarity })))
      .execute();
  }
  return metricId;
}

/** Marks a video validated (the VideoState flag; the video pipeline owns the others). */
export async function markVideoValidated(db: Executor, videoId: number, validated: boolean, now: string): Promise<void> {
  await db.updateTable('video_states').set({ anonymization_validated: validated, updated_at: now }).where('video_file_id', '=', videoId).execute();
}

export async function linkVideoExamination(db: Executor, videoId: number, links: { patientId: number | null; patientExaminationId: number | null }, now: string): Promise<void> {
  await db.updateTable('video_files').set({ patient_id: links.patientId, patient_examination_id: links.patientExaminationId, updated_at: now }).where('id', '=', videoId).execute();
}

/** A patient examination of one center (for an explicit choice in validation or case resolution). */
export async function findPatientExamination(db: Executor, id: number, centerId: number): Promise<{ id: number; patientId: number; examinationId: number | null } | undefined> {
  const row = await db.selectFrom('patient_examinations').select(['id', 'patient_id', 'examination_id']).where('id', '=', id).where('center_id', '=', centerId).executeTakeFirst();
  return row && { id: Number(row.id), patientId: Number(row.patient_id), examinationId: row.examination_id === null ? null : Number(row.examination_id) };
}

/** Examinations of a patient in one center, newest first: the case-resolution suggestions. */
export async function examinationsOfPatient(db: Executor, patientId: number, centerId: number): Promise<{ patient_examination_id: number; patient_id: number; examination_id: number | null }[]> {
  const rows = await db.selectFrom('patient_examinations').select(['id', 'patient_id', 'examination_id']).where('patient_id', '=', patientId).where('center_id', '=', centerId).orderBy('id', 'desc').limit(50).execute();
  return rows.map((r) => ({ patient_examination_id: Number(r.id), patient_id: Number(r.patient_id), examination_id: r.examination_id === null ? null : Number(r.examination_id) }));
}

export async function sourceSystemOfUpload(db: Executor, uploadJobId: string | null): Promise<string | null> {
  if (!uploadJobId) return null;
  const row = await db.selectFrom('upload_jobs').select('source_system').where('id', '=', uploadJobId).executeTakeFirst();
  return row?.source_system ?? null;
}

/** Upload jobs by id, for the overview's `upload_job` column. */
export async function uploadJobsById(db: Executor, ids: readonly string[]): Promise<Map<string, { id: string; status: string; error_detail: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('upload_jobs').select(['id', 'status', 'error_detail']).where('id', 'in', [...ids]).execute();
  return new Map(rows.map((r) => [String(r.id), { id: String(r.id), status: r.status, error_detail: r.error_detail }]));
}

/** Pseudo links of SensitiveMeta rows, for the overview. */
export async function pseudoLinks(db: Executor, ids: readonly number[]): Promise<Map<number, { pseudo_patient_id: number | null; pseudo_examination_id: number | null }>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('sensitive_meta').select(['id', 'pseudo_patient_id', 'pseudo_examination_id']).where('id', 'in', [...ids]).execute();
  const int = dbInt.nullable();
  return new Map(rows.map((r) => [Number(r.id), { pseudo_patient_id: int.parse(r.pseudo_patient_id), pseudo_examination_id: int.parse(r.pseudo_examination_id) }]));
}

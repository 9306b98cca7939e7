import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { dbBool, dbInt, type DB } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

const nullableText = z.string().nullable();

/** The SensitiveMeta columns pseudonymization and the release gate read, with the center's name. */
export const SensitiveMetaRecord = z.object({
  id: dbInt,
  center_id: dbInt,
  center_name: z.string(),
  patient_first_name: nullableText,
  patient_last_name: nullableText,
  patient_dob: nullableText,
  patient_gender: nullableText,
  examination_date: nullableText,
  examination_time: nullableText,
  casenumber: nullableText,
  examiner_first_name: nullableText,
  examiner_last_name: nullableText,
  endoscope_type: nullableText,
  endoscope_sn: nullableText,
  external_id: nullableText,
  text: nullableText,
  anonymized_text: nullableText,
  validation_comment: nullableText,
  patient_hash: nullableText,
  examination_hash: nullableText,
  pseudo_patient_id: dbInt.nullable(),
  pseudo_examination_id: dbInt.nullable(),
  dob_verified: dbBool,
  names_verified: dbBool,
  direct_identifier_policy: z.string(),
  tombstone: nullableText,
  cleared_at: nullableText,
});
export type SensitiveMetaRecord = z.output<typeof SensitiveMetaRecord>;

/** A SensitiveMeta of one center; another center's record is invisible. */
export async function findSensitiveMeta(db: Executor, id: number, centerId: number): Promise<SensitiveMetaRecord | undefined> {
  const row = await db
    .selectFrom('sensitive_meta as sm')
    .innerJoin('centers as c', 'c.id', 'sm.center_id')
    .select([
      'sm.id', 'sm.center_id', 'c.name as center_name', 'sm.patient_first_name', 'sm.patient_last_name', 'sm.patient_dob',
      'sm.patient_gender', 'sm.examination_date', 'sm.examination_time', 'sm.casenumber', 'sm.examiner_first_name',
      'sm.examiner_last_name', 'sm.endoscope_type', 'sm.endoscope_sn', 'sm.external_id', 'sm.text', 'sm.anonymized_text',
      'sm.validation_comment', 'sm.patient_hash', 'sm.examination_hash', 'sm.pseudo_patient_id', 'sm.pseudo_examination_id',
      'sm.dob_verified', 'sm.names_verified', 'sm.direct_identifier_policy', 'sm.tombstone', 'sm.cleared_at',
    ])
    .where('sm.id', '=', id)
    .where('sm.center_id', '=', centerId)
    .executeTakeFirst();
  return row && SensitiveMetaRecord.parse(row);
}

export interface PseudoPatientInput {
  readonly centerId: number;
  readonly patientHash: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly dob: string;
  readonly gender: string;
}

/**
 * The pseudo patient with this hash in this center, created if absent. A
 * concurrent creator loses the insert quietly and reads the winner's row.
 */
export async function ensurePseudoPatient(db: Executor, input: PseudoPatientInput, now: string): Promise<{ id: number; created: boolean }> {
  const existing = await db.selectFrom('patients').select('id').where('patient_hash', '=', input.patientHash).where('center_id', '=', input.centerId).executeTakeFirst();
  if (existing) return { id: Number(existing.id), created: false };
  const inserted = await db
    .insertInto('patients')
    .values({
      first_name: input.firstName,
      last_name: input.lastName,
      dob: input.dob,
      gender: input.gender,
      center_id: input.centerId,
      patient_hash: input.patientHash,
      is_real_person: false,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('patient_hash').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: Number(inserted.id), created: true };
  const winner = await db.selectFrom('patients').select('id').where('patient_hash', '=', input.patientHash).where('center_id', '=', input.centerId).executeTakeFirst();
  if (!winner) throw new Error('a patient with this hash exists in another center');
  return { id: Number(winner.id), created: false };
}

/** The pseudo patient examination with this hash in this center, created if absent. */
export async function ensurePseudoExamination(db: Executor, input: { centerId: number; patientId: number; examinationHash: string }, now: string): Promise<{ id: number; created: boolean }> {
  const find = () =>
    db.selectFrom('patient_examinations').select(['id', 'patient_id']).where('hash', '=', input.examinationHash).where('center_id', '=', input.centerId).executeTakeFirst();
  const existing = await find();
  if (existing) return { id: Number(existing.id), created: false };
  const inserted = await db
    .insertInto('patient_examinations')
    .values({ patient_id: input.patientId, center_id: input.centerId, hash: input.examinationHash, is_pseudo: true, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('hash').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: Number(inserted.id), created: true };
  const winner = await find();
  if (!winner) throw new Error('a patient examination with this hash exists in another center');
  return { id: Number(winner.id), created: false };
}

export async function linkPseudoRecords(
  db: Executor,
  id: number,
  centerId: number,
  links: { patientHash: string; examinationHash: string | null; pseudoPatientId: number; pseudoExaminationId: number | null },
  now: string,
): Promise<void> {
  await db
    .updateTable('sensitive_meta')
    .set({
      patient_hash: links.patientHash,
      examination_hash: links.examinationHash,
      pseudo_patient_id: links.pseudoPatientId,
      pseudo_examination_id: links.pseudoExaminationId,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('center_id', '=', centerId)
    .execute();
}

/** Direct identifiers a clearing removes (the original's `DIRECT_IDENTIFIER_FIELDS` that exist here). */
export const DIRECT_IDENTIFIER_COLUMNS = [
  'patient_first_name',
  'patient_last_name',
  'patient_dob',
  'examination_date',
  'examination_time',
  'casenumber',
  'examiner_first_name',
  'examiner_last_name',
  'text',
  'anonymized_text',
  'endoscope_sn',
  'external_id',
  'validation_comment',
] as const;

export async function clearIdentifierColumns(db: Executor, id: number, centerId: number, update: { policy: string; tombstone: string; clearedAt: string | null }): Promise<void> {
  const cleared = update.clearedAt === null ? {} : Object.fromEntries(DIRECT_IDENTIFIER_COLUMNS.map((c) => [c, null]));
  await db
    .updateTable('sensitive_meta')
    .set({ ...cleared, direct_identifier_policy: update.policy, tombstone: update.tombstone, cleared_at: update.clearedAt, updated_at: update.clearedAt ?? new Date().toISOString() })
    .where('id', '=', id)
    .where('center_id', '=', centerId)
    .execute();
}

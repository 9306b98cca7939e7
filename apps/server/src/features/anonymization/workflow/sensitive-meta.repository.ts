import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { dbJson, type DB } from '../../../db/index.js';
import { IDENTIFIER_FIELDS, type ExtractedIdentifiers, type IdentifierField } from '../identifiers/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** SensitiveMeta columns a person or an extraction may set (identifying values: never log them). */
export const EDITABLE_META_FIELDS = [...IDENTIFIER_FIELDS, 'examination_time'] as const;
export type EditableMetaField = (typeof EDITABLE_META_FIELDS)[number];
export type MetaValues = Partial<Record<EditableMetaField, string | null>>;

/** A new SensitiveMeta for an imported report, from the extraction, with per-field confidences. */
export async function insertExtractedMeta(db: Executor, centerId: number, extracted: ExtractedIdentifiers, texts: { text: string; anonymizedText: string }, now: string): Promise<number> {
  const values: Record<string, string> = {};
  const confidence: Record<string, number> = {};
  for (const [field, value] of Object.entries(extracted) as [IdentifierField, { value: string; confidence: number }][]) {
    values[field] = value.value;
    confidence[field] = value.confidence;
  }
  const row = await db
    .insertInto('sensitive_meta')
    .values({ ...values, center_id: centerId, text: texts.text, anonymized_text: texts.anonymizedText, field_confidence: JSON.stringify(confidence), created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * A rerun's extraction: fills only fields that are still empty (a person's
 * corrections and validated values stay), and refreshes the texts unless the
 * record was validated.
 */
export async function mergeExtractedMeta(db: Executor, id: number, extracted: ExtractedIdentifiers, texts: { text: string; anonymizedText: string }, now: string): Promise<void> {
  const current = await db.selectFrom('sensitive_meta').selectAll().where('id', '=', id).executeTakeFirst();
  if (!current) return;
  const fill: Record<string, string> = {};
  const confidence = { ...(dbJson(z.record(z.string(), z.number())).safeParse(current.field_confidence).data ?? {}) };
  for (const [field, value] of Object.entries(extracted) as [IdentifierField, { value: string; confidence: number }][]) {
    if ((current as Record<string, unknown>)[field] === null || (current as Record<string, unknown>)[field] === '') {
      fill[field] = value.value;
      confidence[field] = value.confidence;
    }
  }
  const validated = Boolean(Number(current.names_verified)) && Boolean(Number(current.dob_verified));
  await db
    .updateTable('sensitive_meta')
    .set({ ...fill, field_confidence: JSON.stringify(confidence), ...(validated ? {} : { text: texts.text, anonymized_text: texts.anonymizedText }), updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** Updates SensitiveMeta columns of one center's record; `extra` for texts, flags and tags. */
export async function updateMeta(
  db: Executor,
  id: number,
  centerId: number,
  values: MetaValues & Partial<{ text: string | null; anonymized_text: string | null; validation_comment: string | null; validation_tags: string; names_verified: boolean; dob_verified: boolean }>,
  now: string,
): Promise<void> {
  await db.updateTable('sensitive_meta').set({ ...values, updated_at: now }).where('id', '=', id).where('center_id', '=', centerId).execute();
}

import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { dbJson, type DB } from '../../db/index.js';
import type { OverlayField } from '../knowledge-base/index.js';
import type { SensitiveMetaIdentifiers } from './release-gate.js';

type Executor = Kysely<DB> | Transaction<DB>;
const confidenceSchema = dbJson(z.record(z.string(), z.number()));

/** An empty SensitiveMeta of a new video (filled by the overlay OCR, corrected by a person). */
export async function insertEmptySensitiveMeta(db: Executor, centerId: number, now: string): Promise<number> {
  const row = await db.insertInto('sensitive_meta').values({ center_id: centerId, field_confidence: '{}', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

/**
 * Writes the overlay OCR proposal into SensitiveMeta with its per-field confidence. Only
 * empty fields are filled: what a person corrected or validated is never overwritten by a
 * rerun. Returns the names of the fields filled (names only; the values are identifiers).
 */
export async function applyOverlayProposal(
  db: Executor,
  sensitiveMetaId: number | null,
  proposal: { values: Partial<Record<OverlayField, string>>; fieldConfidence: Partial<Record<OverlayField, number>> },
  now: string,
): Promise<string[]> {
  if (sensitiveMetaId === null) return [];
  const current = await db.selectFrom('sensitive_meta').selectAll().where('id', '=', sensitiveMetaId).executeTakeFirst();
  if (!current) return [];
  const confidence = { ...(confidenceSchema.safeParse(current.field_confidence).data ?? {}) };
  const fill: Partial<Record<OverlayField, string>> = {};
  for (const [field, value] of Object.entries(proposal.values) as [OverlayField, string][]) {
    const existing = (current as Record<string, unknown>)[field];
    if (existing !== null && existing !== undefined && existing !== '') continue;
    fill[field] = value;
    confidence[field] = proposal.fieldConfidence[field] ?? 0;
  }
  await db.updateTable('sensitive_meta').set({ ...fill, field_confidence: JSON.stringify(confidence), updated_at: now }).where('id', '=', sensitiveMetaId).execute();
  return Object.keys(fill).sort();
}

/** The identifier columns of a SensitiveMeta, for the release gate. */
export async function readSensitiveIdentifiers(db: Executor, sensitiveMetaId: number | null): Promise<SensitiveMetaIdentifiers> {
  if (sensitiveMetaId === null) return {};
  const row = await db.selectFrom('sensitive_meta').selectAll().where('id', '=', sensitiveMetaId).executeTakeFirst();
  return row ?? {};
}

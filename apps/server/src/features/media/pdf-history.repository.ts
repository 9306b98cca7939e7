import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { dbInt, dbJson, dbTimestamp, type DB } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

export const PDF_OPERATIONS = ['import', 'apply_redactions', 'release_gate', 'reimport'] as const;
export type PdfOperation = (typeof PDF_OPERATIONS)[number];
export const PDF_HISTORY_STATUSES = ['queued', 'running', 'success', 'failed'] as const;
export type PdfHistoryStatus = (typeof PDF_HISTORY_STATUSES)[number];

const json = dbJson(z.record(z.string(), z.unknown()));

/** One processing step of a report PDF. `config` and `output` never hold identifier values. */
export const PdfHistoryRecord = z.object({
  id: dbInt,
  pdf_file_id: dbInt,
  center_id: dbInt,
  operation: z.enum(PDF_OPERATIONS),
  status: z.enum(PDF_HISTORY_STATUSES),
  config: json,
  output: json,
  error_detail: z.string(),
  processed_version: dbInt.nullable(),
  output_sha256: z.string().nullable(),
  actor: z.string().nullable(),
  started_at: dbTimestamp,
  finished_at: dbTimestamp.nullable(),
  duration_ms: dbInt.nullable(),
});
export type PdfHistoryRecord = z.output<typeof PdfHistoryRecord>;

export async function insertPdfHistory(
  db: Executor,
  entry: { pdfFileId: number; centerId: number; operation: PdfOperation; status: PdfHistoryStatus; config?: Record<string, unknown>; actor: string | null },
  now: string,
): Promise<number> {
  const row = await db
    .insertInto('pdf_processing_history')
    .values({
      pdf_file_id: entry.pdfFileId,
      center_id: entry.centerId,
      operation: entry.operation,
      status: entry.status,
      config: JSON.stringify(entry.config ?? {}),
      output: '{}',
      actor: entry.actor,
      started_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function finishPdfHistory(
  db: Executor,
  id: number,
  result: { status: 'success' | 'failed'; output: Record<string, unknown>; errorDetail: string; processedVersion: number | null; outputSha256: string | null; startedAt: string },
  now: string,
): Promise<void> {
  await db
    .updateTable('pdf_processing_history')
    .set({
      status: result.status,
      output: JSON.stringify(result.output),
      error_detail: result.errorDetail,
      processed_version: result.processedVersion,
      output_sha256: result.outputSha256,
      finished_at: now,
      duration_ms: Math.max(0, Date.parse(now) - Date.parse(result.startedAt)),
    })
    .where('id', '=', id)
    .execute();
}

export async function markPdfHistoryRunning(db: Executor, id: number, now: string): Promise<void> {
  await db.updateTable('pdf_processing_history').set({ status: 'running', started_at: now }).where('id', '=', id).execute();
}

export async function findPdfHistory(db: Executor, id: number): Promise<PdfHistoryRecord | undefined> {
  const row = await db.selectFrom('pdf_processing_history').selectAll().where('id', '=', id).executeTakeFirst();
  return row && PdfHistoryRecord.parse(row);
}

/** Newest first. */
export async function listPdfHistory(db: Executor, pdfFileId: number): Promise<PdfHistoryRecord[]> {
  const rows = await db.selectFrom('pdf_processing_history').selectAll().where('pdf_file_id', '=', pdfFileId).orderBy('id', 'desc').execute();
  return rows.map((row) => PdfHistoryRecord.parse(row));
}

/** The newest failure reason per PDF (for the overview's `error_detail` of failed files). */
export async function latestPdfFailures(db: Executor, pdfFileIds: readonly number[]): Promise<Map<number, string>> {
  if (pdfFileIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('pdf_processing_history')
    .select(['pdf_file_id', 'error_detail'])
    .where('pdf_file_id', 'in', [...pdfFileIds])
    .where('status', '=', 'failed')
    .where('operation', '<>', 'release_gate')
    .orderBy('id', 'desc')
    .execute();
  const out = new Map<number, string>();
  for (const row of rows) if (!out.has(Number(row.pdf_file_id))) out.set(Number(row.pdf_file_id), row.error_detail);
  return out;
}

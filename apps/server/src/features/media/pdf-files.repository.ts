import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { dbBool, dbInt, dbTimestamp, type DB } from '../../db/index.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** Centers a query may see: `all` (staff, superusers, workers) or explicit ids. */
export type CenterScope = readonly number[] | 'all';

const text = z.string().nullable();

/** A report PDF with its state flags, as every PDF route and job reads it. */
export const PdfFileRecord = z.object({
  id: dbInt,
  uuid: z.string(),
  center_id: dbInt,
  file: text,
  processed_file: text,
  pdf_hash: z.string(),
  original_file_name: text,
  text,
  anonymized_text: text,
  pdf_type: text,
  document_type: text,
  sensitive_meta_id: dbInt.nullable(),
  upload_job_id: text,
  patient_examination_id: dbInt.nullable(),
  processed_version: dbInt,
  gate_status: text,
  created_at: dbTimestamp,
  updated_at: dbTimestamp,
  text_meta_extracted: dbBool,
  sensitive_meta_processed: dbBool,
  anonymized: dbBool,
  anonymization_validated: dbBool,
  processing_started: dbBool,
  processing_error: dbBool,
});
export type PdfFileRecord = z.output<typeof PdfFileRecord>;

function selectPdf(db: Executor) {
  return db
    .selectFrom('pdf_files as p')
    .leftJoin('pdf_states as s', 's.pdf_file_id', 'p.id')
    .select([
      'p.id', 'p.uuid', 'p.center_id', 'p.file', 'p.processed_file', 'p.pdf_hash', 'p.original_file_name', 'p.text', 'p.anonymized_text',
      'p.pdf_type', 'p.document_type', 'p.sensitive_meta_id', 'p.upload_job_id', 'p.patient_examination_id', 'p.processed_version', 'p.gate_status',
      'p.created_at', 'p.updated_at',
    ])
    .select((eb) => [
      eb.fn.coalesce('s.text_meta_extracted', eb.lit(false)).as('text_meta_extracted'),
      eb.fn.coalesce('s.sensitive_meta_processed', eb.lit(false)).as('sensitive_meta_processed'),
      eb.fn.coalesce('s.anonymized', eb.lit(false)).as('anonymized'),
      eb.fn.coalesce('s.anonymization_validated', eb.lit(false)).as('anonymization_validated'),
      eb.fn.coalesce('s.processing_started', eb.lit(false)).as('processing_started'),
      eb.fn.coalesce('s.processing_error', eb.lit(false)).as('processing_error'),
    ]);
}

/** A PDF inside `scope`; another center's PDF is invisible (undefined, a 404 for the caller). */
export async function findPdfFile(db: Executor, id: number, scope: CenterScope): Promise<PdfFileRecord | undefined> {
  let query = selectPdf(db).where('p.id', '=', id);
  if (scope !== 'all') query = query.where('p.center_id', 'in', scope.length > 0 ? [...scope] : [-1]);
  const row = await query.executeTakeFirst();
  return row && PdfFileRecord.parse(row);
}

export async function listPdfFiles(db: Executor, scope: CenterScope): Promise<PdfFileRecord[]> {
  let query = selectPdf(db).orderBy('p.id', 'desc');
  if (scope !== 'all') query = query.where('p.center_id', 'in', scope.length > 0 ? [...scope] : [-1]);
  return (await query.execute()).map((row) => PdfFileRecord.parse(row));
}

export async function findPdfByHash(db: Executor, hash: string): Promise<PdfFileRecord | undefined> {
  const row = await selectPdf(db).where('p.pdf_hash', '=', hash).executeTakeFirst();
  return row && PdfFileRecord.parse(row);
}

export interface NewPdfFile {
  readonly uuid: string;
  readonly centerId: number;
  readonly rawPath: string;
  readonly pdfHash: string;
  readonly originalFileName: string;
  readonly uploadJobId: string | null;
  readonly sensitiveMetaId: number;
}

export async function insertPdfFile(db: Executor, input: NewPdfFile, now: string): Promise<number> {
  const row = await db
    .insertInto('pdf_files')
    .values({
      uuid: input.uuid,
      center_id: input.centerId,
      file: input.rawPath,
      pdf_hash: input.pdfHash,
      original_file_name: input.originalFileName,
      pdf_type: 'report',
      sensitive_meta_id: input.sensitiveMetaId,
      upload_job_id: input.uploadJobId,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('pdf_states').values({ pdf_file_id: Number(row.id), updated_at: now }).execute();
  return Number(row.id);
}

export type PdfFileUpdate = Partial<{
  processed_file: string | null;
  text: string | null;
  anonymized_text: string | null;
  document_type: string | null;
  processed_version: number;
  gate_status: string | null;
  patient_id: number | null;
  patient_examination_id: number | null;
  upload_job_id: string | null;
}>;

export async function updatePdfFile(db: Executor, id: number, update: PdfFileUpdate, now: string): Promise<void> {
  await db.updateTable('pdf_files').set({ ...update, updated_at: now }).where('id', '=', id).execute();
}

export type PdfStateUpdate = Partial<{
  text_meta_extracted: boolean;
  pdf_meta_extracted: boolean;
  sensitive_meta_processed: boolean;
  anonymized: boolean;
  anonymization_validated: boolean;
  processing_started: boolean;
  processing_error: boolean;
  processed_file_sha256: string | null;
}>;

/** Sets state flags, creating the state row when a PDF has none yet. */
export async function setPdfState(db: Executor, pdfFileId: number, update: PdfStateUpdate, now: string): Promise<void> {
  const result = await db.updateTable('pdf_states').set({ ...update, updated_at: now }).where('pdf_file_id', '=', pdfFileId).executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) await db.insertInto('pdf_states').values({ pdf_file_id: pdfFileId, ...update, updated_at: now }).execute();
}

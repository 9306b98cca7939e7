import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { StorageService } from '../../../adapters/storage/index.js';
import type { Settings } from '../../../config/index.js';
import { nowIso, type Db } from '../../../db/index.js';
import type { Logger } from '../../../log/logger.js';
import { Invalid } from '../../../shared/errors.js';
import {
  acquireMediaLease,
  releaseMediaLease,
  findPdfByHash,
  findPdfFile,
  findPdfHistory,
  finishPdfHistory,
  insertPdfFile,
  insertPdfHistory,
  markPdfHistoryRunning,
  setPdfState,
  updatePdfFile,
  type PdfFileRecord,
  type PdfOperation,
} from '../../media/index.js';
import { anonymizeReportPdf, applyPdfRedactions, recordForFailure, reportPdfContextFrom, type PdfProcessingRecord, type ReportPdfOutcome } from '../pdf-report.js';
import { findSensitiveMeta } from '../pseudonymization.repository.js';
import { knownIdentifiersOf } from '../release-gate.js';
import { scratchDir } from '../pdf-text.js';
import { insertExtractedMeta, mergeExtractedMeta } from './sensitive-meta.repository.js';

/** What the ingest feature hands a report import (structurally its `UploadSourceForImport`). */
export interface ReportUploadSource {
  readonly uploadJobId: string;
  readonly centerId: number;
  readonly storedPath: string;
  readonly contentHash: string;
  readonly originalFilename: string;
  readonly storage: StorageService;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** A failure whose `detailDe` becomes the upload job's `error_detail`. */
export class ReportImportFailure extends Error {
  override readonly name = 'ReportImportFailure';
  constructor(readonly detailDe: string) {
    super('report import failed');
  }
}

export interface ReportImportDeps {
  readonly db: Db;
  readonly storage: { service(): Promise<StorageService> };
  readonly settings: Settings;
}

/** How long a rerun holds the file's operation lease; OCR of a long report takes minutes. */
const LEASE_MS = 60 * 60 * 1000;

/** Storage path of a PDF's raw original (encrypted, content-addressed). */
export const rawPdfPath = (hash: string): string => `raw_pdfs/${hash}.pdf`;
/** Storage path of one processed version; versions are never overwritten. */
export const processedPdfPath = (hash: string, version: number): string => `anonymized_pdfs/${hash}/v${version}.pdf`;

/**
 * The report PDF pipeline around `anonymizeReportPdf`: the import from an
 * upload job, and reruns from the stored raw (start, reimport, apply-redactions)
 * recorded in `pdf_processing_history`. A release-gate hit leaves the file
 * `failed` with the reason and writes no processed version; an unreadable PDF
 * (encrypted, malformed, bomb) fails before any row or file is written.
 */
export class ReportImportService {
  constructor(private readonly deps: ReportImportDeps) {}

  /** `importers.report` of the ingest feature. */
  async importUpload(source: ReportUploadSource): Promise<{ kind: 'report'; mediaId: number; sensitiveMetaId: number | null }> {
    const { db } = this.deps;
    const existing = await findPdfByHash(db, source.contentHash);
    if (existing && existing.center_id !== source.centerId) {
      throw new ReportImportFailure('Diese PDF-Datei ist bereits einem anderen Zentrum zugeordnet und wird nicht übernommen.');
    }
    if (existing && (existing.sensitive_meta_processed || existing.anonymization_validated)) {
      return { kind: 'report', mediaId: existing.id, sensitiveMetaId: existing.sensitive_meta_id };
    }
    // A file imported before (its gate blocked) may be rerun by a correction right now.
    const owner = `upload:${source.uploadJobId}`;
    if (existing && !(await acquireMediaLease(db, { mediaType: 'pdf', mediaId: existing.id, operation: 'import', owner, expiresAt: new Date(Date.now() + LEASE_MS).toISOString() }, nowIso()))) {
      throw new Error(`pdf ${existing.id} is locked by another run`);
    }
    const work = await this.#scratch();
    try {
      const sourcePath = join(work.path, 'source.pdf');
      await pipeline(await source.storage.read(source.storedPath), createWriteStream(sourcePath, { mode: 0o600 }));
      if (source.signal.aborted) throw source.signal.reason;
      const startedAt = nowIso();
      const outcome = await this.#anonymize(sourcePath, work.path, source.centerId, existing, 'import', undefined);
      if (source.signal.aborted) throw source.signal.reason;
      const storage = await this.deps.storage.service();
      if (!(await storage.exists(rawPdfPath(source.contentHash)))) {
        const written = await storage.write(rawPdfPath(source.contentHash), createReadStream(sourcePath));
        if (written.sha256Hex !== source.contentHash) {
          await storage.delete(rawPdfPath(source.contentHash)).catch(() => undefined);
          throw new ReportImportFailure('Prüfsumme der gespeicherten Quelldatei stimmt nicht mit dem Upload überein.');
        }
      }
      const pdf =
        existing ??
        (await db.transaction().execute(async (trx) => {
          const now = nowIso();
          const sensitiveMetaId = await insertExtractedMeta(trx, source.centerId, outcome.extraction.fields, { text: outcome.text, anonymizedText: outcome.anonymizedText }, now);
          const id = await insertPdfFile(trx, { uuid: randomUUID(), centerId: source.centerId, rawPath: rawPdfPath(source.contentHash), pdfHash: source.contentHash, originalFileName: source.originalFilename, uploadJobId: source.uploadJobId, sensitiveMetaId }, now);
          return (await findPdfFile(trx, id, 'all')) as PdfFileRecord;
        }));
      const historyId = await insertPdfHistory(db, { pdfFileId: pdf.id, centerId: pdf.center_id, operation: 'import', status: 'running', config: { upload_job_id: source.uploadJobId }, actor: null }, startedAt);
      await this.recordOutcome(pdf, historyId, startedAt, outcome, join(work.path, 'processed.pdf'));
      if (outcome.record.status === 'failed') throw new ReportImportFailure(outcome.record.error_detail);
      return { kind: 'report', mediaId: pdf.id, sensitiveMetaId: pdf.sensitive_meta_id };
    } finally {
      await work.dispose();
      if (existing) await releaseMediaLease(db, 'pdf', existing.id, owner);
    }
  }

  /**
   * Runs a queued history entry (start, reimport, apply-redactions) from the
   * stored raw PDF. Returns early when the entry already finished (a job run twice).
   */
  async runQueued(historyId: number, signal: AbortSignal): Promise<void> {
    const { db } = this.deps;
    const entry = await findPdfHistory(db, historyId);
    if (!entry || entry.status === 'success' || entry.status === 'failed') return;
    const pdf = await findPdfFile(db, entry.pdf_file_id, 'all');
    if (!pdf) return;
    const startedAt = nowIso();
    const owner = `pdf-history:${historyId}`;
    const leased = await acquireMediaLease(db, { mediaType: 'pdf', mediaId: pdf.id, operation: entry.operation, owner, expiresAt: new Date(Date.now() + LEASE_MS).toISOString() }, startedAt);
    // Another run works on this file: the job is retried after its backoff.
    if (!leased) throw new Error(`pdf ${pdf.id} is locked by another run`);
    await markPdfHistoryRunning(db, historyId, startedAt);
    await setPdfState(db, pdf.id, { processing_started: true }, startedAt);
    const work = await this.#scratch();
    try {
      if (!pdf.file) throw new ReportImportFailure('Die Originaldatei dieses PDF-Berichts ist nicht gespeichert; eine erneute Verarbeitung ist nicht möglich.');
      const storage = await this.deps.storage.service();
      const sourcePath = join(work.path, 'source.pdf');
      await pipeline(await storage.read(pdf.file), createWriteStream(sourcePath, { mode: 0o600 }));
      if (signal.aborted) throw signal.reason;
      const outcome = await this.#anonymize(sourcePath, work.path, pdf.center_id, pdf, entry.operation, entry.config.boxes);
      if (signal.aborted) throw signal.reason;
      await this.recordOutcome(pdf, historyId, startedAt, outcome, join(work.path, 'processed.pdf'));
    } catch (error) {
      if (signal.aborted) throw error;
      const record = recordForFailure(entry.operation === 'apply_redactions' ? 'apply_redactions' : 'report_import', startedAt, error);
      const known = record !== undefined || error instanceof ReportImportFailure || error instanceof Invalid;
      const detail = record?.error_detail ?? (error instanceof ReportImportFailure ? error.detailDe : error instanceof Invalid ? error.message : 'Verarbeitung fehlgeschlagen (interner Fehler; Details im Protokoll des Workers).');
      const now = nowIso();
      await finishPdfHistory(db, historyId, { status: 'failed', output: record ? historyOutput(record) : { error_code: known ? 'invalid_input' : 'internal_error' }, errorDetail: detail, processedVersion: null, outputSha256: null, startedAt }, now);
      await setPdfState(db, pdf.id, { processing_error: true, processing_started: true, text_meta_extracted: false, sensitive_meta_processed: false, anonymized: false }, now);
      // The history says what happened; an unexpected error is also left to the job log.
      if (!known) throw error;
    } finally {
      await work.dispose();
      await releaseMediaLease(db, 'pdf', pdf.id, owner);
    }
  }

  async #anonymize(sourcePath: string, workPath: string, centerId: number, pdf: PdfFileRecord | undefined, operation: PdfOperation, boxes: unknown): Promise<ReportPdfOutcome> {
    const { db, settings } = this.deps;
    // The center's name seeds the pseudonyms, as in the patient hash.
    const center = await db.selectFrom('centers').select('name').where('id', '=', centerId).executeTakeFirst();
    if (!center) throw new ReportImportFailure('Das Zentrum dieser Datei existiert nicht mehr.');
    const meta = pdf?.sensitive_meta_id ? await findSensitiveMeta(db, pdf.sensitive_meta_id, pdf.center_id) : undefined;
    const context = reportPdfContextFrom(settings, { workDir: workPath, centerName: center.name });
    const knownIdentifiers = meta ? knownIdentifiersOf(meta) : [];
    const outputPath = join(workPath, 'processed.pdf');
    if (operation === 'apply_redactions') return applyPdfRedactions({ sourcePath, outputPath, boxes: boxes ?? [], knownIdentifiers }, context);
    return anonymizeReportPdf({ sourcePath, outputPath, knownIdentifiers, operation: 'report_import' }, context);
  }

  /**
   * Stores a run's outcome: a new processed version (from `processedFile`, a
   * plaintext PDF in the scratch directory) only when the release gate let it
   * pass, the state flags (a blocked run is `failed`), the extraction in
   * SensitiveMeta and the finished history entry.
   */
  async recordOutcome(pdf: PdfFileRecord, historyId: number, startedAt: string, outcome: ReportPdfOutcome, processedFile: string): Promise<void> {
    const { db } = this.deps;
    const passed = outcome.record.status === 'success';
    let version: number | null = null;
    let processedPath: string | null = null;
    if (passed) {
      version = pdf.processed_version + 1;
      processedPath = processedPdfPath(pdf.pdf_hash, version);
      const storage = await this.deps.storage.service();
      await storage.write(processedPath, createReadStream(processedFile));
    }
    await db.transaction().execute(async (trx) => {
      const now = nowIso();
      if (pdf.sensitive_meta_id !== null) await mergeExtractedMeta(trx, pdf.sensitive_meta_id, outcome.extraction.fields, { text: outcome.text, anonymizedText: outcome.anonymizedText }, now);
      await updatePdfFile(
        trx,
        pdf.id,
        {
          text: outcome.text,
          ...(pdf.anonymization_validated ? {} : { anonymized_text: outcome.anonymizedText }),
          gate_status: outcome.gate.status,
          ...(passed ? { processed_file: processedPath, processed_version: version as number } : {}),
        },
        now,
      );
      await setPdfState(
        trx,
        pdf.id,
        passed
          ? { processing_started: true, text_meta_extracted: true, pdf_meta_extracted: true, sensitive_meta_processed: true, anonymized: true, processing_error: false, processed_file_sha256: outcome.record.output_sha256 ?? null }
          : { processing_started: true, text_meta_extracted: false, sensitive_meta_processed: false, anonymized: false, anonymization_validated: false, processing_error: true },
        now,
      );
      await finishPdfHistory(trx, historyId, { status: passed ? 'success' : 'failed', output: historyOutput(outcome.record), errorDetail: outcome.record.error_detail, processedVersion: version, outputSha256: outcome.record.output_sha256 ?? null, startedAt }, now);
      // The gate's own verification record, as the validator sees it in the history.
      const gate = outcome.gate;
      const gateStarted = new Date(Date.parse(gate.checked_at) - gate.duration_ms).toISOString();
      const gateId = await insertPdfHistory(trx, { pdfFileId: pdf.id, centerId: pdf.center_id, operation: 'release_gate', status: 'running', config: { run_history_id: historyId }, actor: null }, gateStarted);
      await finishPdfHistory(trx, gateId, { status: gate.status === 'blocked' ? 'failed' : 'success', output: { gate }, errorDetail: gate.reasons.join('; '), processedVersion: version, outputSha256: gate.output_sha256 ?? null, startedAt: gateStarted }, gate.checked_at);
    });
  }

  async #scratch(): Promise<{ path: string; dispose: () => Promise<void> }> {
    const root = join(this.deps.settings.paths.dataRoot, 'work', 'pdf');
    await mkdir(root, { recursive: true, mode: 0o700 });
    return scratchDir(root);
  }

  /** Queues a rerun of a stored PDF; the job runs `runQueued(historyId)`. */
  async queueRun(pdf: PdfFileRecord, operation: Exclude<PdfOperation, 'import' | 'release_gate'>, config: Record<string, unknown>, actor: string | null): Promise<number> {
    return insertPdfHistory(this.deps.db, { pdfFileId: pdf.id, centerId: pdf.center_id, operation, status: 'queued', config, actor }, nowIso());
  }
}

/** The history output: counts, statuses, reasons and the gate result; never identifier values. */
function historyOutput(record: PdfProcessingRecord): Record<string, unknown> {
  return { operation: record.operation, status: record.status, error_code: record.error_code ?? null, details: record.details, output_sha256: record.output_sha256 ?? null };
}

import type { Readable } from 'node:stream';
import type { PdfHistoryEntry } from '@lx/contracts';
import type { StorageService } from '../../../adapters/storage/index.js';
import { nowIso, type Db } from '../../../db/index.js';
import type { JobQueue } from '../../../jobs/index.js';
import { Conflict, NotFound } from '../../../shared/errors.js';
import type { AuditLedger } from '../../audit/index.js';
import { requireCenterScope, type Actor } from '../../auth/index.js';
import { listPdfFiles, listPdfHistory, lockedMediaIds, pdfAnonymizationStatus, setPdfState, type PdfFileRecord, type PdfHistoryRecord } from '../../media/index.js';
import { resolveMedia } from './media-resolver.js';
import type { ReportImportService } from './report-import.service.js';
import { enqueuePdfRun } from './workflow.jobs.js';
import { pdfGateSummary } from './workflow.service.js';

export type PdfStreamKind = 'raw' | 'processed';

function listItem(pdf: PdfFileRecord) {
  return {
    id: pdf.id,
    uuid: pdf.uuid,
    original_file_name: pdf.original_file_name,
    center_id: pdf.center_id,
    anonymization_status: pdfAnonymizationStatus(pdf),
    document_type: pdf.document_type,
    sensitive_meta_id: pdf.sensitive_meta_id,
    patient_examination_id: pdf.patient_examination_id,
    processed_version: pdf.processed_version,
    gate_status: pdf.gate_status,
    has_raw: pdf.file !== null,
    has_processed: processedReleasable(pdf),
    created_at: pdf.created_at,
  };
}

/** A processed PDF is served only when the last release gate did not block it. */
function processedReleasable(pdf: PdfFileRecord): boolean {
  return pdf.processed_file !== null && pdf.gate_status !== 'blocked' && !pdf.processing_error;
}

export function historyEntry(entry: PdfHistoryRecord): PdfHistoryEntry {
  const { pdf_file_id: _pdf, center_id: _center, ...rest } = entry;
  return rest;
}

/** `media/pdfs/…`: list, detail, decrypted stream, reimport, apply-redactions and processing history (§5.5, §5.6). */
export class PdfMediaService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLedger,
    private readonly storage: { service(): Promise<StorageService> },
    private readonly queue: () => JobQueue,
    private readonly reports: ReportImportService,
  ) {}

  async #pdf(actor: Actor, id: number): Promise<{ pdf: PdfFileRecord; locked: boolean }> {
    const media = await resolveMedia(this.db, actor, id, 'pdf');
    if (media.type !== 'pdf') throw new NotFound('PDF nicht gefunden.');
    return { pdf: media.pdf, locked: media.locked };
  }

  async list(actor: Actor) {
    const pdfs = await listPdfFiles(this.db, requireCenterScope(actor));
    return { count: pdfs.length, results: pdfs.map(listItem) };
  }

  async detail(actor: Actor, id: number) {
    const { pdf } = await this.#pdf(actor, id);
    return { ...listItem(pdf), anonymized_text: pdf.anonymized_text, release_gate: await pdfGateSummary(this.db, pdf), history: (await listPdfHistory(this.db, pdf.id)).map(historyEntry) };
  }

  async history(actor: Actor, id: number): Promise<PdfHistoryEntry[]> {
    const { pdf } = await this.#pdf(actor, id);
    return (await listPdfHistory(this.db, pdf.id)).map(historyEntry);
  }

  /** The decrypted PDF; the raw original is identifying and its every read is audited. */
  async open(actor: Actor, id: number, kind: PdfStreamKind): Promise<{ stream: Readable; sizeBytes: number; filename: string }> {
    const { pdf } = await this.#pdf(actor, id);
    let path: string | null;
    if (kind === 'raw') {
      path = pdf.file;
      if (!path) throw new NotFound('Die Originaldatei ist nicht gespeichert.');
    } else {
      if (!processedReleasable(pdf)) throw new NotFound('Es gibt keine freigegebene anonymisierte Fassung dieser PDF-Datei.');
      path = pdf.processed_file as string;
    }
    const storage = await this.storage.service();
    const sizeBytes = await storage.size(path);
    const stream = await storage.read(path);
    if (kind === 'raw') {
      await this.audit.append({ action: 'media.pdf_raw_streamed', objectType: 'pdf_file', objectPk: String(pdf.id), actor: actor.username, centerId: pdf.center_id });
    }
    // Never the original file name: it often carries the patient's name.
    return { stream, sizeBytes, filename: kind === 'raw' ? `bericht-${pdf.id}-original.pdf` : `bericht-${pdf.id}-anonymisiert-v${pdf.processed_version}.pdf` };
  }

  async reimport(actor: Actor, id: number) {
    return this.#queue(actor, id, 'reimport', {});
  }

  /** Boxes from the correction UI (validated by the route's schema) → a new processed version, recorded in the history. */
  async applyRedactions(actor: Actor, id: number, boxes: readonly { page: number; x: number; y: number; width: number; height: number }[]) {
    return this.#queue(actor, id, 'apply_redactions', { boxes, box_count: boxes.length });
  }

  async #queue(actor: Actor, id: number, operation: 'reimport' | 'apply_redactions', config: Record<string, unknown>) {
    const { pdf, locked } = await this.#pdf(actor, id);
    if (locked || (await lockedMediaIds(this.db, 'pdf', [pdf.id], nowIso())).has(pdf.id)) throw new Conflict('Die Datei wird bereits verarbeitet (Verarbeitung gesperrt).');
    if (!pdf.file) throw new Conflict('Die Originaldatei ist nicht gespeichert; eine erneute Verarbeitung ist nicht möglich.');
    if (pdf.anonymization_validated) throw new Conflict('Die Datei ist bereits validiert.');
    const historyId = await this.reports.queueRun(pdf, operation, config, actor.username);
    await setPdfState(this.db, pdf.id, { processing_started: true }, nowIso());
    const jobId = await enqueuePdfRun(this.queue(), historyId, pdf.center_id);
    await this.audit.append({ action: `media.pdf_${operation}_queued`, objectType: 'pdf_file', objectPk: String(pdf.id), actor: actor.username, centerId: pdf.center_id, data: { history_id: historyId, job_id: jobId, ...(operation === 'apply_redactions' ? { box_count: config.box_count } : {}) } });
    return { pdf_id: pdf.id, history_id: historyId, job_id: jobId, status: 'queued' as const, message: operation === 'reimport' ? 'Erneuter Import wurde gestartet.' : 'Schwärzungen werden angewendet.' };
  }
}

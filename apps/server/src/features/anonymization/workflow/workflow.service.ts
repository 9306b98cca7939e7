import type { AnonymizationOverviewItem, CurrentItemResponse, ReleaseGateSummary } from '@lx/contracts';
import { nowIso, type Db } from '../../../db/index.js';
import type { JobQueue } from '../../../jobs/index.js';
import { Conflict } from '../../../shared/errors.js';
import type { AuditLedger } from '../../audit/index.js';
import { requireCenterScope, type Actor } from '../../auth/index.js';
import { clearMediaLeases, latestPdfFailures, listHistory, listPdfFiles, listPdfHistory, listVideos, lockedMediaIds, setPdfState, setVideoState, type PdfFileRecord } from '../../media/index.js';
import { findSensitiveMeta } from '../pseudonymization.repository.js';
import { pdfView, resolveMedia, videoView, type MediaType, type ResolvedMedia } from './media-resolver.js';
import type { ReportImportService } from './report-import.service.js';
import { sensitiveMetaView } from './sensitive-meta.service.js';
import { enqueuePdfRun } from './workflow.jobs.js';
import { listDocumentTypes, pseudoLinks, uploadJobsById } from './workflow.repository.js';

/** The video pipeline's job (registered by the video feature); this name and payload are a contract. */
export const VIDEO_ANONYMIZE_JOB = 'video.anonymize';

/** Quarantined uploads of the actor's centers, from the ingest feature (wired in `main/`). */
export type QuarantineSource = (actor: Actor) => Promise<{ files: readonly { id: string; filename: string; media_type: string; quarantined_at: string; reason: string; upload_job_id: string | null; dismissed: boolean }[] }>;

/** The last release gate of a PDF, from its processing history. */
export async function pdfGateSummary(db: Db, pdf: PdfFileRecord): Promise<ReleaseGateSummary> {
  for (const entry of await listPdfHistory(db, pdf.id)) {
    type Gate = { status?: string; reasons?: string[]; checked_at?: string };
    const gate = (entry.output.gate as Gate | undefined) ?? (entry.output.details as { gate?: Gate } | undefined)?.gate;
    if (gate?.status) return { status: gate.status as ReleaseGateSummary['status'], reasons: gate.reasons ?? [], checked_at: gate.checked_at ?? null };
    if (entry.status === 'failed') return { status: 'blocked', reasons: [entry.error_detail], checked_at: entry.finished_at };
  }
  return { status: null, reasons: [], checked_at: null };
}

/**
 * The anonymization overview and its per-file operations (§5.3): list, start,
 * status, the item to validate, raw availability, locks and status reset.
 */
export class AnonymizationWorkflowService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLedger,
    private readonly queue: () => JobQueue,
    private readonly reports: ReportImportService,
    private readonly quarantine: QuarantineSource,
  ) {}

  async overview(actor: Actor): Promise<AnonymizationOverviewItem[]> {
    const scope = requireCenterScope(actor);
    const now = nowIso();
    const [pdfs, videos] = await Promise.all([listPdfFiles(this.db, scope), listVideos(this.db, scope)]);
    const [lockedPdfs, lockedVideos] = await Promise.all([lockedMediaIds(this.db, 'pdf', pdfs.map((p) => p.id), now), lockedMediaIds(this.db, 'video', videos.map((v) => v.id), now)]);
    const media: ResolvedMedia[] = [...videos.map((v) => videoView(v, lockedVideos.has(v.id))), ...pdfs.map((p) => pdfView(p, lockedPdfs.has(p.id)))];
    const uploads = await uploadJobsById(this.db, media.map((m) => m.uploadJobId).filter((id): id is string => id !== null));
    const links = await pseudoLinks(this.db, media.map((m) => m.sensitiveMetaId).filter((id): id is number => id !== null));
    const pdfFailures = await latestPdfFailures(this.db, media.filter((m) => m.type === 'pdf' && m.status === 'failed').map((m) => m.id));
    const rows: AnonymizationOverviewItem[] = media.map((m) => {
      const link = m.sensitiveMetaId === null ? undefined : links.get(m.sensitiveMetaId);
      const upload = m.uploadJobId === null ? undefined : uploads.get(m.uploadJobId);
      return {
        id: m.id,
        filename: m.filename,
        media_type: m.type,
        anonymization_status: m.status,
        annotation_status: m.type === 'video' ? (m.video.segment_annotations_validated ? 'validated' : 'not_started') : 'not_applicable',
        created_at: m.type === 'pdf' ? m.pdf.created_at : m.video.created_at,
        sensitive_meta_id: m.sensitiveMetaId,
        document_type: m.type === 'pdf' ? m.pdf.document_type : null,
        center_id: m.centerId,
        processing_locked: m.locked,
        upload_job: upload ?? null,
        pseudo_patient_id: link?.pseudo_patient_id ?? null,
        pseudo_examination_id: link?.pseudo_examination_id ?? null,
        error_detail: m.status !== 'failed' ? '' : ((m.type === 'pdf' ? pdfFailures.get(m.id) : undefined) ?? upload?.error_detail ?? ''),
        read_only: false,
      };
    });
    const quarantined = await this.quarantine(actor);
    for (const file of quarantined.files.filter((f) => !f.dismissed)) {
      rows.push({
        id: file.id,
        filename: file.filename,
        media_type: 'quarantine',
        anonymization_status: 'failed',
        annotation_status: 'not_applicable',
        created_at: file.quarantined_at,
        sensitive_meta_id: null,
        document_type: null,
        center_id: null,
        processing_locked: false,
        upload_job: file.upload_job_id ? { id: file.upload_job_id, status: 'error', error_detail: file.reason } : null,
        pseudo_patient_id: null,
        pseudo_examination_id: null,
        error_detail: file.reason,
        read_only: true,
      });
    }
    return rows.sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  async status(actor: Actor, id: number, type: MediaType | undefined) {
    const media = await resolveMedia(this.db, actor, id, type);
    return { file_id: media.id, file_type: media.type, anonymization_status: media.status, processing_locked: media.locked };
  }

  /** Start or restart processing: the PDF rerun job, or the video pipeline's `video.anonymize`. */
  async start(actor: Actor, id: number, type: MediaType | undefined): Promise<{ file_id: number; file_type: MediaType; job_id: string; message: string }> {
    const media = await resolveMedia(this.db, actor, id, type);
    if (media.locked) throw new Conflict('Die Datei wird bereits verarbeitet (Verarbeitung gesperrt).');
    if (!media.hasRaw) throw new Conflict('Die Originaldatei ist nicht gespeichert; die Verarbeitung kann nicht neu gestartet werden.');
    if (media.status === 'validated') throw new Conflict('Die Datei ist bereits validiert.');
    let jobId: string;
    if (media.type === 'pdf') {
      const historyId = await this.reports.queueRun(media.pdf, 'reimport', { trigger: 'start' }, actor.username);
      await setPdfState(this.db, media.id, { processing_started: true }, nowIso());
      jobId = await enqueuePdfRun(this.queue(), historyId, media.centerId);
    } else {
      jobId = await this.queue().enqueue('pipeline', VIDEO_ANONYMIZE_JOB, { videoId: media.id, force: true }, { dedupeKey: `video-anonymize:${media.id}`, centerId: media.centerId });
    }
    await this.audit.append({ action: 'anonymization.started', objectType: media.type === 'pdf' ? 'pdf_file' : 'video_file', objectPk: String(media.id), actor: actor.username, centerId: media.centerId, data: { job_id: jobId } });
    return { file_id: media.id, file_type: media.type, job_id: jobId, message: 'Verarbeitung wurde gestartet.' };
  }

  async current(actor: Actor, id: number, type: MediaType | undefined, prefix: string): Promise<CurrentItemResponse> {
    const media = await resolveMedia(this.db, actor, id, type);
    const meta = media.sensitiveMetaId === null ? undefined : await findSensitiveMeta(this.db, media.sensitiveMetaId, media.centerId);
    const isPdf = media.type === 'pdf';
    const hasProcessed = isPdf ? media.pdf.processed_file !== null && media.pdf.gate_status !== 'blocked' : media.video.processed_file !== null;
    const gate: ReleaseGateSummary = isPdf
      ? await pdfGateSummary(this.db, media.pdf)
      : await videoGateSummary(this.db, media.id);
    const base = isPdf ? `${prefix}media/pdfs/${media.id}/stream/` : `${prefix}media/videos/${media.id}/hls/playlist/`;
    return {
      id: media.id,
      file_id: media.id,
      file_type: media.type,
      filename: media.filename,
      center_id: media.centerId,
      anonymization_status: media.status,
      processing_locked: media.locked,
      document_type: isPdf ? media.pdf.document_type : null,
      text: isPdf ? media.pdf.text : (meta?.text ?? null),
      anonymized_text: isPdf ? media.pdf.anonymized_text : (meta?.anonymized_text ?? null),
      sensitive_meta: meta ? await sensitiveMetaView(this.db, meta) : null,
      release_gate: gate,
      has_raw: media.hasRaw,
      has_processed: hasProcessed,
      raw_url: media.hasRaw ? `${base}?type=raw` : null,
      processed_url: hasProcessed ? `${base}?type=processed` : null,
    };
  }

  async hasRaw(actor: Actor, id: number, type: MediaType | undefined) {
    const media = await resolveMedia(this.db, actor, id, type);
    return { file_id: media.id, file_type: media.type, has_raw: media.hasRaw };
  }

  async documentTypes() {
    return listDocumentTypes(this.db);
  }

  /** `DELETE anonymization/clear-locks/?type=`: drops the processing leases of the actor's files. */
  async clearLocks(actor: Actor, type: MediaType | 'all') {
    const scope = requireCenterScope(actor);
    let cleared = 0;
    for (const mediaType of type === 'all' ? (['video', 'pdf'] as const) : [type]) {
      const ids = scope === 'all' ? undefined : mediaType === 'pdf' ? (await listPdfFiles(this.db, scope)).map((p) => p.id) : (await listVideos(this.db, scope)).map((v) => v.id);
      cleared += await clearMediaLeases(this.db, mediaType, ids);
    }
    await this.audit.append({ action: 'anonymization.locks_cleared', objectType: 'media_operation_lease', actor: actor.username, data: { type, cleared } });
    return { cleared, type, message: `${cleared} Sperre(n) aufgehoben.` };
  }

  /** `POST media-management/reset-status/<id>/`: a stuck file back to `not_started` (its lease dropped, validated files untouched). */
  async resetStatus(actor: Actor, id: number, type: MediaType | undefined) {
    const media = await resolveMedia(this.db, actor, id, type);
    if (media.status === 'validated') throw new Conflict('Eine validierte Datei wird nicht zurückgesetzt.');
    const now = nowIso();
    await clearMediaLeases(this.db, media.type, [media.id]);
    if (media.type === 'pdf') await setPdfState(this.db, media.id, { processing_started: false, processing_error: false, text_meta_extracted: false, sensitive_meta_processed: false, anonymized: false }, now);
    else await setVideoState(this.db, media.id, { processing_started: false, processing_error: false, frames_extracted: false, sensitive_meta_processed: false, anonymized: false }, now);
    await this.audit.append({ action: 'anonymization.status_reset', objectType: media.type === 'pdf' ? 'pdf_file' : 'video_file', objectPk: String(media.id), actor: actor.username, centerId: media.centerId, data: { previous_status: media.status } });
    const after = await resolveMedia(this.db, actor, id, media.type);
    return { file_id: after.id, file_type: after.type, anonymization_status: after.status, message: 'Status wurde zurückgesetzt.' };
  }
}

/**
 * The video's verification record: its newest release-gate run. A blocked gate fails its history
 * step with the reasons as detail; a passing one stores the gate's result as output.
 */
async function videoGateSummary(db: Db, videoId: number): Promise<ReleaseGateSummary> {
  const run = (await listHistory(db, videoId)).find((h) => h.operation === 'release_gate' && (h.status === 'succeeded' || h.status === 'failed'));
  if (!run) return { status: null, reasons: [], checked_at: null };
  if (run.status === 'failed') return { status: 'blocked', reasons: run.error_detail ? [run.error_detail] : [], checked_at: run.finished_at };
  const status = run.output.status === 'not_verifiable' ? 'not_verifiable' : 'passed';
  const reasons = Array.isArray(run.output.reasons) ? run.output.reasons.filter((r): r is string => typeof r === 'string') : [];
  return { status, reasons, checked_at: run.finished_at };
}

import type { StorageService } from '../../adapters/storage/index.js';
import { nowIso, type Db } from '../../db/index.js';
import { findMediaByHash, upsertPreanonymizedMedia, upsertSensitiveMeta } from './preanonymized.repository.js';
import type { UploadJob } from './upload-job.js';
import { PreanonymizedPayload } from './watcher/sidecar.js';

/** What a finished import hands back to the upload job. */
export interface ImportedMedia {
  readonly kind: 'video' | 'report' | 'document';
  readonly mediaId: number;
  readonly sensitiveMetaId: number | null;
}

/** A failure whose German message is fit for the job's error_detail as it is. */
export class ImportFailure extends Error {
  override readonly name = 'ImportFailure';
}

/** Final place of a preanonymized payload, by content hash (§3.5). */
export function preanonymizedTarget(fileType: 'video' | 'report' | 'document', hash: string): string {
  if (fileType === 'video') return `processed_videos_final/${hash}.mp4`;
  return `processed_reports_final/${hash}${fileType === 'document' ? '.txt' : '.pdf'}`;
}

/**
 * Preanonymized ingest (§3.5): the already-anonymized payload is copied (still
 * encrypted, re-hashed on the way) to `processed_videos_final/<hash>.mp4` or
 * `processed_reports_final/<hash>.pdf`; the media record and its SensitiveMeta
 * are created or updated from the sidecar, with the states of a finished and
 * validated anonymization.
 *
 * SAP IS-H `.txt` + `.json` pairs arrive the same way as text documents: the text
 * is stored encrypted as `processed_reports_final/<hash>.txt` and recorded as a
 * report document (`pdf_files`, `pdf_type = preanonymized_text`) with its text and
 * anonymized text, `document_type` from the sidecar's `source_document_type` and the
 * SAP provenance (source system, document id/version, raw columns) in `raw_meta`.
 * A report record because that is where the reporting and anonymization views look
 * for patient documents; the carrier keeps its real `.txt` name and the
 * `preanonymized_text` type, so no viewer mistakes it for a PDF (the original
 * stored such text under a `.pdf` name).
 */
export class PreanonymizedImporter {
  constructor(
    private readonly db: Db,
    private readonly storage: { service(): Promise<StorageService> },
  ) {}

  async import(job: UploadJob, signal: AbortSignal): Promise<ImportedMedia> {
    const fileType = job.provenance.file_type;
    if (fileType === undefined) throw new ImportFailure('Dateityp des vorab anonymisierten Imports fehlt.');
    if (job.sourceCenterId === null) throw new ImportFailure('Dem Upload ist kein Zentrum zugeordnet.');
    const parsed = PreanonymizedPayload.safeParse(job.provenance.sidecar_payload ?? {});
    if (!parsed.success) throw new ImportFailure('Die gespeicherten Begleitdaten sind ungültig.');
    const payload = parsed.data;
    const kind = fileType === 'video' ? 'video' : 'report';
    const hash = job.contentHash;

    const existing = await findMediaByHash(this.db, kind, hash);
    if (existing && existing.centerId !== job.sourceCenterId) {
      throw new ImportFailure('Diese Datei ist bereits einem anderen Zentrum zugeordnet und wird nicht übernommen.');
    }

    const storage = await this.storage.service();
    const target = preanonymizedTarget(fileType, hash);
    // Content-addressed and written atomically after the hash check: a file at the target is complete.
    if (!(await storage.exists(target))) {
      if (signal.aborted) throw signal.reason;
      const written = await storage.write(target, await storage.read(job.file));
      if (written.sha256Hex !== hash) {
        await storage.delete(target).catch(() => undefined);
        throw new ImportFailure('Prüfsumme der gespeicherten Quelldatei stimmt nicht mit dem Upload überein.');
      }
    }
    if (signal.aborted) throw signal.reason;

    return this.db.transaction().execute(async (trx) => {
      const now = nowIso();
      const current = await findMediaByHash(trx, kind, hash);
      if (current && current.centerId !== job.sourceCenterId) throw new ImportFailure('Diese Datei ist bereits einem anderen Zentrum zugeordnet und wird nicht übernommen.');
      const sensitiveMetaId = await upsertSensitiveMeta(trx, current?.sensitiveMetaId ?? null, job.sourceCenterId as number, payload, now);
      const mediaId = await upsertPreanonymizedMedia(
        trx,
        {
          kind,
          hash,
          centerId: job.sourceCenterId as number,
          uploadJobId: job.id,
          storedPath: target,
          originalFilename: job.originalFilename,
          sensitiveMetaId,
          payload,
          carrier: fileType === 'document' ? 'text/plain' : job.contentType,
          sourceSystem: payload.source_system ?? job.sourceSystem,
        },
        now,
      );
      return { kind: fileType, mediaId, sensitiveMetaId };
    });
  }
}

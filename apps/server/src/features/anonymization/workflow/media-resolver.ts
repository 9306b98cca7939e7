import { nowIso, type Db } from '../../../db/index.js';
import { Invalid, NotFound } from '../../../shared/errors.js';
import { requireCenterScope, type Actor } from '../../auth/index.js';
import {
  findPdfFile,
  findVideo,
  lockedMediaIds,
  pdfAnonymizationStatus,
  videoAnonymizationStatus,
  type AnonymizationStatus,
  type CenterScope,
  type PdfFileRecord,
  type VideoRecord,
} from '../../media/index.js';

export type MediaType = 'video' | 'pdf';

interface ResolvedBase {
  readonly id: number;
  readonly centerId: number;
  readonly sensitiveMetaId: number | null;
  readonly filename: string;
  readonly status: AnonymizationStatus;
  readonly locked: boolean;
  readonly hasRaw: boolean;
  readonly uploadJobId: string | null;
}
export type ResolvedMedia = (ResolvedBase & { readonly type: 'pdf'; readonly pdf: PdfFileRecord }) | (ResolvedBase & { readonly type: 'video'; readonly video: VideoRecord });

const inScope = (scope: CenterScope, centerId: number): boolean => scope === 'all' || scope.includes(centerId);

export function pdfView(pdf: PdfFileRecord, locked: boolean): ResolvedMedia {
  return {
    type: 'pdf',
    pdf,
    id: pdf.id,
    centerId: pdf.center_id,
    sensitiveMetaId: pdf.sensitive_meta_id,
    filename: pdf.original_file_name ?? `pdf-${pdf.id}.pdf`,
    status: pdfAnonymizationStatus(pdf),
    locked,
    hasRaw: pdf.file !== null,
    uploadJobId: pdf.upload_job_id,
  };
}

export function videoView(video: VideoRecord, locked: boolean): ResolvedMedia {
  return {
    type: 'video',
    video,
    id: video.id,
    centerId: video.center_id,
    sensitiveMetaId: video.sensitive_meta_id,
    filename: video.original_file_name ?? `video-${video.id}`,
    status: videoAnonymizationStatus({ ...video, processing_locked: locked }),
    locked,
    hasRaw: video.raw_file !== null,
    uploadJobId: video.upload_job_id,
  };
}

/**
 * The media file behind an anonymization route's `<id>`. Videos and PDFs have
 * separate id sequences, so the original's clients send the type along
 * (`?type=`, `file_type`, `media_type`); without it the id must match exactly
 * one file the actor may see. Another center's file is a 404, never a 403.
 */
export async function resolveMedia(db: Db, actor: Actor, id: number, type: MediaType | undefined): Promise<ResolvedMedia> {
  const scope = requireCenterScope(actor);
  const now = nowIso();
  const pdf = type === 'video' ? undefined : await findPdfFile(db, id, scope);
  const videoRow = type === 'pdf' ? undefined : await findVideo(db, id);
  const video = videoRow && inScope(scope, videoRow.center_id) ? videoRow : undefined;
  if (pdf && video) throw new Invalid('Die ID ist mehrdeutig (Video und PDF): bitte type=video oder type=pdf angeben.');
  if (pdf) return pdfView(pdf, (await lockedMediaIds(db, 'pdf', [pdf.id], now)).has(pdf.id));
  if (video) return videoView(video, (await lockedMediaIds(db, 'video', [video.id], now)).has(video.id));
  throw new NotFound(type === 'video' ? 'Video nicht gefunden.' : type === 'pdf' ? 'PDF nicht gefunden.' : 'Datei nicht gefunden.');
}

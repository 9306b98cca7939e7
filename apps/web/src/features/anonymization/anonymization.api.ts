import { http, uploadWithProgress } from '../../shared/http';

export type MediaType = 'video' | 'pdf';
export type AnonymizationStatus =
  | 'not_started'
  | 'started'
  | 'extracting_frames'
  | 'processing_anonymization'
  | 'predicting_segments'
  | 'done_processing_anonymization'
  | 'validated'
  | 'failed';

/** One row of `anonymization/items/overview/` (§5.3) after camelCase conversion. */
export interface OverviewItem {
  id: number;
  filename: string;
  /** `quarantine` rows are files that failed import: shown read-only. */
  mediaType: MediaType | 'quarantine';
  readOnly?: boolean;
  errorDetail?: string;
  processingLocked?: boolean;
  anonymizationStatus: AnonymizationStatus | string;
  annotationStatus?: string | null;
  createdAt?: string | null;
  sensitiveMetaId?: number | null;
  documentType?: string | null;
  rawFileDeleted?: boolean | null;
  uploadJob?: { id?: string; status?: string; errorDetail?: string; ingestMode?: string; sourceSystem?: string; cleanupStatus?: string | null } | null;
  processingProgress?: number | null;
}

export interface QuarantineFile {
  id: string;
  filename: string;
  mediaType: string;
  size: number;
  quarantinedAt: string;
  reason: string;
}

export interface UploadStatus {
  id: string;
  status: 'pending' | 'processing' | 'anonymized' | 'error' | 'lost';
  errorDetail: string;
  sensitiveMetaId: number | null;
}

/** `anonymization/<id>/current/`: the item with its SensitiveMeta for the validation form. */
export interface CurrentItem {
  id: number;
  fileType?: MediaType;
  mediaType?: MediaType;
  filename?: string;
  centerName?: string | null;
  anonymizationStatus?: string;
  anonymizedText?: string | null;
  text?: string | null;
  documentType?: string | null;
  sensitiveMeta?: Record<string, unknown> | null;
  rawUrl?: string | null;
  processedUrl?: string | null;
  /** The release gate's verification record of the last anonymization run. */
  releaseGate?: { status: 'passed' | 'blocked' | 'not_verifiable' | null; reasons: string[]; checkedAt: string | null };
  [key: string]: unknown;
}

export interface DocumentTypeOption {
  value: string;
  label: string;
}

const list = <T>(body: T[] | { results?: T[]; items?: T[] }): T[] => (Array.isArray(body) ? body : (body.results ?? body.items ?? []));

export const anonymizationApi = {
  async overview(): Promise<OverviewItem[]> {
    return list(await http.get<OverviewItem[] | { results?: OverviewItem[] }>('anonymization/items/overview/'));
  },
  async quarantine(): Promise<QuarantineFile[]> {
    return (await http.get<{ files: QuarantineFile[] }>('runtime/quarantine/')).files;
  },
  start: (id: number, mediaType: MediaType) => http.post<unknown>(`anonymization/${id}/start/`, { fileType: mediaType }, { query: { media_type: mediaType } }),
  retryUpload: (uploadId: string) => http.post<unknown>(`anonymization/upload-jobs/${uploadId}/retry/`, {}),
  reimport: (id: number, mediaType: MediaType) => http.post<unknown>(`media/${mediaType === 'video' ? 'videos' : 'pdfs'}/${id}/reimport/`, {}),
  remove: (id: number, mediaType: MediaType) => http.delete<unknown>(`media-management/force-remove/${id}/`, { query: { media_type: mediaType } }),
  current: (id: number, mediaType: MediaType) => http.get<CurrentItem>(`anonymization/${id}/current/`, { query: { media_type: mediaType } }),
  validate: (id: number, body: Record<string, unknown>) => http.post<unknown>(`anonymization/${id}/validate/`, body),
  async documentTypes(): Promise<DocumentTypeOption[]> {
    const body = await http.get<{ id?: number; name: string; displayName?: string }[]>('anonymization/document-types/dropdown/');
    return body.map((o) => ({ value: o.name, label: o.displayName ?? o.name }));
  },
  upload: (file: File, onProgress: (f: number) => void) => {
    const form = new FormData();
    form.append('file', file);
    return uploadWithProgress<{ uploadId: string; statusUrl: string; message: string }>('upload/', form, onProgress, { 'Idempotency-Key': crypto.randomUUID() });
  },
  uploadStatus: (uploadId: string) => http.get<UploadStatus>(`upload/${uploadId}/status/`),
  mediaUrl: (id: number, mediaType: MediaType, which: 'raw' | 'processed') =>
    mediaType === 'pdf' ? `/endoreg-api/media/pdfs/${id}/stream/?type=${which}` : `/endoreg-api/media/videos/${id}/hls/playlist/?type=${which}`,
};

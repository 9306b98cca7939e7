import { http } from '../../shared/http';
import type { BulkMutation } from './segment-draft';

/** Wire shapes of §5.5 / §5.7 after camelCase conversion (server answers snake_case). */
export interface VideoSummary {
  id: number;
  originalFileName: string;
  status?: string;
  anonymized?: boolean;
  segmentAnnotationsValidated?: boolean;
  segmentAnnotationStatus?: string;
  duration?: number | null;
  fps?: number | null;
  frameCount?: number | null;
  centerKey?: string | null;
  centerName?: string | null;
  patientGender?: string | null;
  patientAge?: number | null;
  validatedAnnotators?: string[];
}

export interface VideoDetails extends VideoSummary {
  hasProcessed?: boolean;
  hls?: { raw: string | null; processed: string | null };
}

export interface WireSegment {
  id: number;
  videoId?: number;
  labelId: number;
  labelName?: string;
  startFrameNumber: number;
  endFrameNumber: number;
  segmentOrigin?: 'manual' | 'prediction';
  sourceName?: string | null;
  annotator?: string | null;
  isValidated?: boolean;
  version?: number;
}

export interface LabelWire {
  id: number;
  name: string;
}

/** `segments/validation-status/` (contracts ValidationStatusResponse, camelCase). */
export interface ValidationStatus {
  status: string;
  segmentAnnotationsValidated?: boolean;
  detail?: string;
  segmentsTotal?: number;
  segmentsValidated?: number;
  validatedAnnotators?: string[];
}

export interface BulkResult {
  created: { clientId: string; segment: WireSegment }[];
  updated: WireSegment[];
  deleted: number[];
}

const list = <T>(body: T[] | { results?: T[]; segments?: T[] }): T[] => (Array.isArray(body) ? body : (body.results ?? body.segments ?? []));
const base = (videoId: number): string => `media/videos/${videoId}/segments/`;

export const segmentsApi = {
  async videos(): Promise<{ videos: VideoSummary[]; labels: LabelWire[] }> {
    const body = await http.get<{ videos?: VideoSummary[]; labels?: LabelWire[] } | VideoSummary[]>('media/videos/');
    return Array.isArray(body) ? { videos: body, labels: [] } : { videos: body.videos ?? [], labels: body.labels ?? [] };
  },
  details: (videoId: number) => http.get<VideoDetails>(`media/videos/${videoId}/details/`),
  async labels(): Promise<LabelWire[]> {
    return list(await http.get<LabelWire[] | { results?: LabelWire[] }>('media/videos/labels/list/'));
  },
  async segments(videoId: number, sourceKind: 'manual' | 'prediction'): Promise<WireSegment[]> {
    return list(await http.get<WireSegment[] | { results?: WireSegment[] }>(base(videoId), { query: { source_kind: sourceKind } }));
  },
  bulk: (videoId: number, mutation: BulkMutation & { annotator: string }) => http.post<BulkResult>(`${base(videoId)}bulk/`, mutation),
  importPredictions: (videoId: number) => http.post<unknown>(`${base(videoId)}import-predictions/`, {}),
  validateBulk: (videoId: number, body: { segmentIds: number[]; segments: { id: number; startTime: number; endTime: number }[]; isValidated: boolean; notes: string; informationSourceName: string; annotator: string }) =>
    http.post<{ message: string; segmentAnnotationStatus: ValidationStatus }>(`${base(videoId)}validate-bulk/`, body),
  validationStatus: (videoId: number) => http.get<ValidationStatus>(`${base(videoId)}validation-status/`),
  playlistUrl: (videoId: number) => `/endoreg-api/media/videos/${videoId}/hls/playlist/?type=processed`,
  /** One decoded frame (JPEG) of the processed video, for the timeline's hover preview. */
  frameUrl: (videoId: number, frame: number) => `/endoreg-api/media/videos/${videoId}/frames/${frame}/stream/`,
};

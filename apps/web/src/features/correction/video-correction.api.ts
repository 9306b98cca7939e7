import { http } from '../../shared/http';
import type { Roi } from './roi';

/** `media/videos/…` answers used by the video correction (contracts videos.ts, camelCase). */
export interface VideoCorrectionDetails {
  id: number;
  originalFileName: string | null;
  status: string;
  fps: number | null;
  frameCount: number | null;
  duration: number | null;
  width: number | null;
  height: number | null;
  processorName: string | null;
  processingLocked: boolean;
  hasRaw: boolean;
  hasProcessed: boolean;
}

export interface VideoStrategy {
  name: 'processor_region' | 'detector_assisted';
  available: boolean;
  detail: string;
}

export interface VideoAnonymizationInfo {
  videoId: number;
  status: string;
  processingLocked: boolean;
  strategies: VideoStrategy[];
  devicePresets: string[];
  processorName: string | null;
  hasAnonymizedArtifact: boolean;
}

export interface VideoHistoryEntry {
  id: number;
  operation: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  config: Record<string, unknown>;
  errorDetail: string;
  progress: number;
  progressStep: string;
  hasOutputFile: boolean;
  taskId: string | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface VideoTaskAccepted {
  videoId: number;
  taskId: string;
  status: 'queued';
  message: string;
}

export type MaskChoice = { mode: 'device'; deviceName: string } | { mode: 'custom'; roi: Roi };

export const videoCorrectionApi = {
  details: (id: number) => http.get<VideoCorrectionDetails>(`media/videos/${id}/details/`),
  info: (id: number) => http.get<VideoAnonymizationInfo>(`media/videos/video-correction/${id}/anonymization/`),
  history: (id: number) => http.get<VideoHistoryEntry[]>(`media/videos/${id}/processing-history/`),
  anonymize: (id: number, strategy: VideoStrategy['name'], mask: MaskChoice | undefined) =>
    http.post<VideoTaskAccepted>(`media/videos/video-correction/${id}/anonymization/`, {
      strategy,
      ...(mask ? { region: mask.mode === 'device' ? { mode: 'device', deviceName: mask.deviceName } : { mode: 'custom', roi: mask.roi } } : {}),
    }),
  removeFrames: (id: number, selection: { method: 'manual'; frames: string } | { method: 'automatic' }) =>
    http.post<VideoTaskAccepted>(`media/videos/${id}/remove-frames/`, selection.method === 'manual' ? { selectionMethod: 'manual', manualFrames: selection.frames } : { selectionMethod: 'automatic' }),
  /** The queue job of a started run (`jobs/<id>/`; users without `jobs:read` get 403 and the history decides). */
  job: (taskId: string) => http.get<{ id: string; state: 'queued' | 'active' | 'completed' | 'failed' | 'retry' | 'cancelled'; attempts: number; maxAttempts: number }>(`jobs/${encodeURIComponent(taskId)}/`),
  frameUrl: (id: number, frame: number) => `/endoreg-api/media/videos/${id}/frames/${frame}/stream/`,
  playlistUrl: (id: number, kind: 'raw' | 'processed') => `/endoreg-api/media/videos/${id}/hls/playlist/?type=${kind}`,
  downloadUrl: (id: number, historyId: number) => `/endoreg-api/media/processed-videos/${id}/${historyId}/`,
};

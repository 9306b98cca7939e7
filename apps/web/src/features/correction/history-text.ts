import type { VideoHistoryEntry } from './video-correction.api';

/** German texts of a video's processing history (`media/videos/<id>/processing-history/`). */
export const OPERATION_TEXT: Record<string, string> = {
  mask_overlay: 'Maske',
  frame_removal: 'Bildentfernung',
  analysis: 'Analyse',
  reprocessing: 'Neuverarbeitung',
  ai_temporal_inference: 'KI-Segmentierung',
  release_gate: 'Freigabeprüfung',
  hls: 'Wiedergabe (HLS)',
};
export const RUN_STATUS_TEXT: Record<string, string> = { running: 'läuft', succeeded: 'erfolgreich', failed: 'fehlgeschlagen', cancelled: 'abgebrochen' };

const rect = (r: unknown): string => {
  const x = r as Record<string, number>;
  return `${x.width}×${x.height} @ ${x.x},${x.y}`;
};

/** One line of details: the error, else what the run was asked to do (preset, regions, frames), else the running step. */
export function describeRun(h: Pick<VideoHistoryEntry, 'status' | 'config' | 'errorDetail' | 'progressStep'>): string {
  if (h.errorDetail) return h.errorDetail;
  const c = h.config;
  const parts: string[] = [];
  if (typeof c.processor === 'string' && h.status !== 'running') parts.push(`Preset ${c.processor}`);
  if (Array.isArray(c.customRegions) && c.customRegions.length > 0) parts.push(`eigener Bereich ${c.customRegions.map(rect).join('; ')}`);
  const removal = c.removal as { spec?: unknown } | null | undefined;
  if (removal && typeof removal.spec === 'string') parts.push(`Bilder ${removal.spec.length > 40 ? `${removal.spec.slice(0, 40)}…` : removal.spec}`);
  return parts.join(', ') || (h.status === 'running' ? h.progressStep : '');
}

export const durationText = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

import type { ApplyMaskRequest, RemoveFramesRequest, VideoAnonymizationInfo, VideoAnonymizationRequest, VideoTaskAccepted } from '@lx/contracts';
import type { Db } from '../../db/index.js';
import type { JobQueue } from '../../jobs/index.js';
import { Conflict, Invalid } from '../../shared/errors.js';
import type { AuditLedger } from '../audit/index.js';
import { annotatorOf, type Actor } from '../auth/index.js';
import { listHistory, videoAnonymizationStatus } from '../media/index.js';
import { listProcessorGeometries } from './processor-presets.repository.js';
import { enqueueVideoAnonymize, type VideoAnonymizePayload, type VideoStrategyPayload } from './video-anonymization.jobs.js';
import type { VideoMediaService } from './video-media.service.js';
import { parseFrameList } from './video-masking.js';
import { NO_PHI_DETECTOR } from './phi-detection.js';


/**
 * Correction of a video's anonymization (W4): strategy runs, overlay mask, frame removal and
 * re-import from the stored raw file. Each is a forced `video.anonymize` run on the
 * pipeline queue, refused with 409 while another run holds the video.
 */
export class VideoCorrectionService {
  constructor(private readonly deps: { db: Db; queue: () => JobQueue; media: VideoMediaService; audit: AuditLedger; phiDetectorAvailable: () => Promise<boolean> }) {}

  async info(actor: Actor, id: number): Promise<VideoAnonymizationInfo> {
    const video = await this.deps.media.video(actor, id);
    const locked = await this.deps.media.isLocked(id);
    const presets = (await listProcessorGeometries(this.deps.db)).map((p) => p.name);
    const detector = await this.deps.phiDetectorAvailable();
    const last = (await listHistory(this.deps.db, id)).find((h) => ['mask_overlay', 'frame_removal', 'reprocessing'].includes(h.operation));
    return {
      video_id: id,
      status: videoAnonymizationStatus({ ...video, processing_locked: locked }),
      processing_locked: locked,
      strategies: [
        { name: 'processor_region', available: true, detail: 'Statische Maske der Geräteeinblendung (Prozessor-Preset oder eigener Bereich); außerhalb des Endoskopbildes ist immer alles schwarz.' },
        { name: 'detector_assisted', available: detector, detail: detector ? 'PHI-Detektor schwärzt erkannte Bereiche in jedem Bild; außerhalb des Endoskopbildes ist immer alles schwarz.' : NO_PHI_DETECTOR },
      ],
      device_presets: presets,
      processor_name: video.processor_name,
      last_strategy: last ? { operation: last.operation, status: last.status, ...last.config } : null,
      ocr_engines: ['tesseract'],
      has_anonymized_artifact: video.processed_file !== null && video.anonymized,
      human_review_required: true,
    };
  }

  async run(actor: Actor, id: number, body: VideoAnonymizationRequest): Promise<VideoTaskAccepted> {
    if (body.strategy === 'detector_assisted') {
      if (!(await this.deps.phiDetectorAvailable())) throw new Conflict(NO_PHI_DETECTOR);
      return this.#start(actor, id, { strategy: { kind: 'detector_assisted' }, operation: 'mask_overlay' }, 'video.anonymization_started');
    }
    const strategy = this.#strategy(body.region?.mode ?? 'device', body.region?.device_name, body.region?.roi);
    return this.#start(actor, id, { strategy, operation: 'mask_overlay' }, 'video.anonymization_started');
  }

  async applyMask(actor: Actor, id: number, body: ApplyMaskRequest): Promise<VideoTaskAccepted> {
    return this.#start(actor, id, { strategy: this.#strategy(body.mask_type, body.device_name, body.roi), operation: 'mask_overlay' }, 'video.mask_applied');
  }

  async removeFrames(actor: Actor, id: number, body: RemoveFramesRequest): Promise<VideoTaskAccepted> {
    if (body.selection_method === 'automatic') {
      if (!(await this.deps.phiDetectorAvailable())) throw new Conflict(NO_PHI_DETECTOR);
      // The detector decides per frame; the run keeps the strategy of the video's last mask.
      return this.#start(actor, id, { removal: { mode: 'automatic' }, operation: 'frame_removal' }, 'video.frames_removed');
    }
    const video = await this.deps.media.video(actor, id);
    if (!body.manual_frames) throw new Invalid('Für die manuelle Auswahl ist eine Bildliste nötig (z. B. 10,25,30-35).');
    if (video.frame_count === null) throw new Conflict('Die Bildanzahl des Videos ist noch unbekannt; bitte zuerst verarbeiten.');
    parseFrameList(body.manual_frames, video.frame_count);
    return this.#start(actor, id, { removal: { mode: 'manual', spec: body.manual_frames }, operation: 'frame_removal' }, 'video.frames_removed');
  }

  async reimport(actor: Actor, id: number): Promise<VideoTaskAccepted> {
    const video = await this.deps.media.video(actor, id);
    if (!video.raw_file) throw new Conflict('Die Originaldatei ist nicht mehr gespeichert; ein erneuter Import ist nicht möglich.');
    return this.#start(actor, id, { operation: 'reprocessing' }, 'video.reimport_started');
  }

  #strategy(mode: 'device' | 'custom', deviceName: string | undefined, roi: { x: number; y: number; width: number; height: number } | undefined): VideoStrategyPayload {
    if (mode === 'custom') {
      if (!roi) throw new Invalid('Für einen eigenen Maskenbereich sind x, y, width und height nötig.');
      return { kind: 'processor_region', rois: [roi] };
    }
    return { kind: 'processor_region', ...(deviceName ? { device_name: deviceName } : {}) };
  }

  async #start(actor: Actor, id: number, run: Omit<VideoAnonymizePayload, 'videoId'>, action: string): Promise<VideoTaskAccepted> {
    const video = await this.deps.media.video(actor, id);
    if (await this.deps.media.isLocked(id)) throw new Conflict('Das Video wird gerade verarbeitet; bitte warten oder die Sperre aufheben.');
    if (run.strategy?.kind === 'processor_region' && run.strategy.device_name) {
      const names = (await listProcessorGeometries(this.deps.db)).map((p) => p.name);
      if (!names.includes(run.strategy.device_name)) throw new Invalid(`Unbekanntes Prozessor-Preset „${run.strategy.device_name.slice(0, 64)}“ (verfügbar: ${names.join(', ')}).`);
    }
    const taskId = await enqueueVideoAnonymize(this.deps.queue(), id, { ...run, force: true, centerId: video.center_id });
    await this.deps.audit.append({ action, objectType: 'video_file', objectPk: String(id), actor: annotatorOf(actor), centerId: video.center_id, data: { operation: run.operation ?? null, task_id: taskId } });
    return { video_id: id, task_id: taskId, status: 'queued', message: 'Verarbeitung wurde gestartet.' };
  }
}

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { assertProcessableVideo, MediaInputError, MediaToolError, probeVideo, type MediaTools, type VideoProbe } from '../../adapters/ffmpeg/index.js';
import type { TesseractOcr } from '../../adapters/ocr/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import { nowIso, type Db } from '../../db/index.js';
import type { Logger } from '../../log/logger.js';
import { DomainError } from '../../shared/errors.js';
import {
  acquireMediaLease,
  closeStaleHistory,
  finishHistory,
  findVideo,
  releaseMediaLease,
  renewMediaLease,
  reportProgress,
  setVideoState,
  startHistory,
  updateVideoFile,
  type VideoOperation,
  type VideoRecord,
} from '../media/index.js';
import { readOverlayMetadata } from './overlay-ocr.js';
import { sensitiveMetaProposal } from './overlay-vote.js';
import { fitGeometryToVideo, type ProcessorGeometry } from './processor-geometry.js';
import { findProcessorGeometry } from './processor-presets.repository.js';
import { NO_PHI_DETECTOR, type PhiDetectorRun } from './phi-detection.js';
import { knownIdentifiersOf, type ReleaseGateResult } from './release-gate.js';
import { maskVideo } from './video-anonymizer.js';
import type { FrameRemoval, MaskStrategy } from './video-masking.js';
import { runVideoReleaseGate } from './video-release-gate.js';
import { applyOverlayProposal, readSensitiveIdentifiers } from './video-sensitive-meta.js';
import { decryptToPrivateFile, storeEncrypted, videoTempRoot, withPrivateWorkDir } from './video-workspace.js';
import { cacheProcessedFrameIndex } from '../segments/index.js';

/** A run holds the video's lease this long and renews it while working. */
const LEASE_MS = 30 * 60 * 1000;
const LEASE_RENEW_MS = 60 * 1000;

/** Where the anonymized video of a file is stored (encrypted); the uuid keeps names free of identifiers. */
export function processedVideoPath(uuid: string): string {
  return `videos/processed/${uuid}.mp4`;
}

export interface AnonymizeOptions {
  /** Redo a finished run (restart, correction); otherwise a finished video returns early. */
  readonly force?: boolean;
  readonly strategy?: MaskStrategy;
  /** Overrides the video's processor for this run (a correction with another device preset). */
  readonly processorName?: string;
  readonly removal?: FrameRemoval;
  /** Recorded as the history's operation (`reprocessing` for restarts, `mask_overlay`, `frame_removal`). */
  readonly operation?: VideoOperation;
  readonly taskId?: string;
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
}

export type AnonymizeOutcome = { readonly status: 'already_done' | 'done'; readonly videoId: number } | { readonly status: 'locked'; readonly videoId: number };

/** A run that failed for a reason of the file (input, gate, configuration): not retried, shown as error_detail. */
export class VideoProcessingFailed extends Error {
  override readonly name = 'VideoProcessingFailed';
  constructor(
    readonly videoId: number,
    /** German, for the error detail of the upload job and the history. */
    readonly detailDe: string,
  ) {
    super(detailDe);
  }
}

export interface VideoProcessingDeps {
  readonly db: Db;
  readonly storage: LazyStorage;
  readonly tools: MediaTools;
  readonly ocr: TesseractOcr;
  readonly storageDir: string;
  /** libx264 preset of the masked output (the HLS step re-encodes anyway). */
  readonly encoderPreset?: string;
  /**
   * Loads the configured PHI-region detector (undefined: none configured). Only runs that need
   * it (`detector_assisted`, automatic frame removal) call it; they close it afterwards.
   */
  readonly phiDetector?: () => Promise<PhiDetectorRun | undefined>;
  /** Called after a successful run (the composition root enqueues HLS materialization here). */
  readonly afterAnonymized?: (videoId: number) => Promise<void>;
}

/** German error detail of a failed step; paths never reach it. */
export function videoFailureDetail(error: unknown): string {
  if (error instanceof VideoProcessingFailed) return error.detailDe;
  if (error instanceof MediaInputError) return error.message;
  if (error instanceof DomainError) return error.message;
  if (error instanceof MediaToolError) {
    const why = error.code === 'timeout' ? 'Zeitlimit überschritten' : error.code === 'idle_timeout' ? 'keine Ausgabe mehr (hängt)' : error.code === 'aborted' ? 'abgebrochen' : `Fehler (${error.code})`;
    return `Videoverarbeitung mit ${error.tool} fehlgeschlagen: ${why}.`;
  }
  return `Videoverarbeitung fehlgeschlagen: ${(error instanceof Error ? error.message : String(error)).replace(/(?:[A-Za-z]:)?\/[^\s'"]+/g, '<Pfad>').slice(0, 300)}`;
}

/**
 * The video anonymization run (W2): decrypt the stored raw file into a private work
 * directory, probe it (exact frame index), OCR the processor overlay into SensitiveMeta,
 * mask (black outside the endoscope image, overlay rectangles, frame removal, no metadata),
 * run the release gate against every known identifier, and store the result encrypted.
 * State flags follow the original so that `videoAnonymizationStatus` derives correctly;
 * every step is a history row with config, output, progress and duration.
 */
export class VideoProcessingService {
  constructor(private readonly deps: VideoProcessingDeps) {}

  async anonymize(videoId: number, options: AnonymizeOptions = {}): Promise<AnonymizeOutcome> {
    const { db } = this.deps;
    const video = await findVideo(db, videoId);
    if (!video) throw new VideoProcessingFailed(videoId, `Video ${videoId} existiert nicht.`);
    if (!options.force && video.sensitive_meta_processed && video.processed_file && !video.processing_error) return { status: 'already_done', videoId };
    if (!video.raw_file) throw new VideoProcessingFailed(videoId, 'Die Originaldatei des Videos ist nicht mehr gespeichert; eine erneute Verarbeitung ist nicht möglich.');

    const owner = options.taskId ?? randomUUID();
    const expires = () => new Date(Date.now() + LEASE_MS).toISOString();
    if (!(await acquireMediaLease(db, { mediaType: 'video', mediaId: videoId, operation: options.operation ?? 'mask_overlay', owner, expiresAt: expires() }, nowIso()))) {
      return { status: 'locked', videoId };
    }
    const renew = setInterval(() => void renewMediaLease(db, 'video', videoId, owner, expires()).catch(() => undefined), LEASE_RENEW_MS);
    renew.unref();
    try {
      await closeStaleHistory(db, videoId, nowIso());
      await setVideoState(db, videoId, { processing_started: true, processing_error: false, frames_extracted: false, anonymized: false, sensitive_meta_processed: false }, nowIso());
      await this.#run(video, owner, options);
      return { status: 'done', videoId };
    } catch (error) {
      // An abort (lease lost, worker stopping) is not a verdict on the file: the job runs again.
      await setVideoState(db, videoId, { processing_error: !options.signal?.aborted, frames_extracted: false, anonymized: false, sensitive_meta_processed: false }, nowIso());
      if (options.signal?.aborted) throw error;
      throw error instanceof VideoProcessingFailed ? error : new VideoProcessingFailed(videoId, videoFailureDetail(error));
    } finally {
      clearInterval(renew);
      await releaseMediaLease(db, 'video', videoId, owner);
    }
  }

  async #run(video: VideoRecord, taskId: string, options: AnonymizeOptions): Promise<void> {
    const { db, tools } = this.deps;
    const storage = await this.deps.storage.service();
    const signal = options.signal;
    await withPrivateWorkDir(videoTempRoot(this.deps.storageDir, 'video_work'), `video-${video.id}`, async (dir) => {
      const rawPath = join(dir, 'raw.video');
      const processedPath = join(dir, 'processed.mp4');
      const analysis = await this.#step(video.id, 'analysis', { processor: options.processorName ?? video.processor_name }, taskId, async (historyId) => {
        await decryptToPrivateFile(storage, video.raw_file!, rawPath, signal);
        await reportProgress(db, historyId, 0.2, 'probe');
        const probe = await probeVideo(tools, rawPath);
        await updateVideoFile(db, video.id, { fps: probe.fps, duration_seconds: probe.durationSeconds, frame_count: probe.frameCount, width: probe.width, height: probe.height }, nowIso());
        await setVideoState(db, video.id, { video_meta_extracted: true }, nowIso());
        assertProcessableVideo(probe);
        const preset = await this.#geometry(options.processorName ?? video.processor_name);
        const fitted = preset ? fitGeometryToVideo(preset, probe.width, probe.height) : undefined;
        await reportProgress(db, historyId, 0.4, 'overlay_ocr');
        let output: Record<string, unknown> = { width: probe.width, height: probe.height, frame_count: probe.frameCount, fps: round(probe.fps), duration_seconds: round(probe.durationSeconds), codec: probe.codec, has_audio: probe.hasAudio, preset_fits: fitted !== undefined };
        if (fitted) {
          const overlay = await readOverlayMetadata({ tools, ocr: this.deps.ocr }, { videoPath: rawPath, frameIndex: probe.frameIndex, frameWidth: probe.width, frameHeight: probe.height, geometry: fitted, tempRoot: join(dir, 'ocr'), signal });
          const proposal = sensitiveMetaProposal(overlay.candidates);
          const filled = await applyOverlayProposal(db, video.sensitive_meta_id, proposal, nowIso());
          // Field names and confidences only: the values are identifiers.
          output = { ...output, sampled_frames: overlay.sampledFrames.length, ocr_crops: overlay.cropCount, ocr_seconds: round(overlay.ocrSeconds), fields_found: Object.keys(proposal.values).sort(), fields_filled: filled, field_confidence: proposal.fieldConfidence };
        } else {
          output = { ...output, warning: 'Kein passendes Prozessor-Preset: keine Overlay-Texterkennung; der Bildbereich wird pro Video erkannt.' };
        }
        await setVideoState(db, video.id, { frames_extracted: true, text_meta_extracted: fitted !== undefined }, nowIso());
        return { output, value: { probe, preset, fitted } };
      });

      const { probe, preset, fitted } = analysis;
      const maskOperation: VideoOperation = options.operation ?? (options.removal ? 'frame_removal' : 'mask_overlay');
      const strategy = options.strategy ?? (preset ? { kind: 'processor_region' as const } : { kind: 'safe' as const });
      const needsDetector = strategy.kind === 'detector_assisted' || options.removal?.mode === 'automatic';
      const config = { strategy: strategy.kind, custom_regions: strategy.kind === 'processor_region' ? (strategy.customRects ?? []) : [], removal: options.removal ?? null, processor: preset?.name ?? null };
      await this.#step(video.id, maskOperation, config, taskId, async () => {
        const phi = needsDetector ? await this.#loadPhiDetector(video.id) : undefined;
        try {
          const masked = await maskVideo(tools, { inputPath: rawPath, outputPath: processedPath, probe: probe as VideoProbe, geometry: preset, strategy, removal: options.removal, phi, encoderPreset: this.deps.encoderPreset ?? 'veryfast', signal });
          const { plan, phiScan } = masked;
          // Model and counts only: region coordinates stay out of the history.
          const detector = phi && phiScan ? { detector_model: phi.model, detector_threshold: phi.threshold, detector_regions: phiScan.regions.length, detector_scanned_frames: phiScan.scannedFrames, detector_flagged_frames: phiScan.flaggedFrames.length } : {};
          return {
            output: { keep_rect: plan.keepRect, keep_rect_source: plan.keepRectSource, black_rects: plan.blackRects.length, removed_frames: plan.removedFrameCount, remaining_frames: plan.remainingFrameCount, encode_seconds: round(masked.durationSeconds), ...detector },
            value: masked,
          };
        } finally {
          await phi?.detector.close();
        }
      });

      const identifiers = knownIdentifiersOf(await readSensitiveIdentifiers(db, video.sensitive_meta_id));
      const processedProbe = await probeVideo(tools, processedPath);
      const gate = await this.#step(video.id, 'release_gate', { identifier_fields: identifiers.map((i) => i.field) }, taskId, async () => {
        const overlayRegions = fitted ? Object.values(fitted.overlayRois).filter((r) => r !== undefined) : [];
        const result = await runVideoReleaseGate(tools, this.deps.ocr, { path: processedPath, probe: processedProbe, identifiers, overlayRegions, tempRoot: join(dir, 'gate'), signal });
        if (result.status === 'blocked') throw new VideoProcessingFailed(video.id, `Freigabeprüfung blockiert: ${result.reasons.join(' ')}`);
        return { output: gateOutput(result), value: result };
      });

      const stored = await storeEncrypted(storage, processedVideoPath(video.uuid), processedPath);
      await updateVideoFile(db, video.id, { processed_file: stored.relativePath, processed_video_hash: stored.sha256Hex }, nowIso());
      await setVideoState(db, video.id, { anonymized: true, sensitive_meta_processed: true, processing_error: false, processed_file_sha256: stored.sha256Hex }, nowIso());
      // The processed file's exact frame index, so segments and frame requests never decode the whole video for it.
      await cacheProcessedFrameIndex(db, video.id, { file: stored.relativePath, sha256: stored.sha256Hex }, processedProbe.frameIndex, nowIso());
      options.logger?.info({ videoId: video.id, gate: gate.status }, 'video anonymized');
    });
    await this.deps.afterAnonymized?.(video.id);
  }

  async #loadPhiDetector(videoId: number): Promise<PhiDetectorRun> {
    const run = await this.deps.phiDetector?.();
    if (!run) throw new VideoProcessingFailed(videoId, NO_PHI_DETECTOR);
    return run;
  }

  async #geometry(name: string | null | undefined): Promise<ProcessorGeometry | undefined> {
    return name ? findProcessorGeometry(this.deps.db, name) : undefined;
  }

  /** One history row around a step: running → succeeded with output, or failed with a German detail. */
  async #step<T>(videoId: number, operation: VideoOperation, config: Record<string, unknown>, taskId: string, fn: (historyId: number) => Promise<{ output: Record<string, unknown>; value: T }>): Promise<T> {
    const { db } = this.deps;
    const historyId = await startHistory(db, { videoId, operation, config, taskId }, nowIso());
    try {
      const { output, value } = await fn(historyId);
      await finishHistory(db, historyId, { status: 'succeeded', output }, nowIso());
      return value;
    } catch (error) {
      const aborted = (error instanceof MediaToolError && error.code === 'aborted') || (error instanceof Error && error.name === 'AbortError');
      await finishHistory(db, historyId, { status: aborted ? 'cancelled' : 'failed', errorDetail: videoFailureDetail(error) }, nowIso()).catch(() => undefined);
      throw error;
    }
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The gate result for the history: fields and places, never values. */
function gateOutput(result: ReleaseGateResult): Record<string, unknown> {
  return { status: result.status, checked_fields: result.checked_fields, checked_sources: result.checked_sources, findings: result.findings, reasons: result.reasons, warnings: result.warnings, duration_ms: result.duration_ms };
}

import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import type { ProcessingHistoryEntry, VideoDetails, VideoListItem, VideoMetadata } from '@lx/contracts';
import { extractFrames, frameTimestamps, type MediaTools } from '../../adapters/ffmpeg/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import { nowIso, type Db } from '../../db/index.js';
import { Conflict, NotFound } from '../../shared/errors.js';
import { assertCenterAccess, requireCenterScope, type Actor } from '../auth/index.js';
import { cachedProcessedFrameIndex, cacheProcessedFrameIndex, processedSource, segmentStatusSummaries, type SegmentStatusSummary } from '../segments/index.js';
import {
  findHistory,
  findHlsArtifact,
  listHistory,
  listVideos,
  lockedMediaIds,
  findVideo,
  videoAnonymizationStatus,
  type HistoryEntry,
  type VideoRecord,
} from '../media/index.js';
import { decryptToPrivateFile, videoTempRoot, withPrivateWorkDir } from './video-workspace.js';

const MASK_OPERATIONS = new Set(['mask_overlay', 'frame_removal', 'reprocessing']);

/** Reads of videos for the API: always through the actor's centers. */
export class VideoMediaService {
  constructor(private readonly deps: { db: Db; storage: LazyStorage; tools: MediaTools; storageDir: string; protectedMediaRoot: string }) {}

  /** The video if the actor may see it; 404 for unknown ids, 403 for another center's video. */
  async video(actor: Actor, id: number): Promise<VideoRecord> {
    const video = await findVideo(this.deps.db, id);
    if (!video) throw new NotFound('Video nicht gefunden.');
    assertCenterAccess(actor, video.center_id);
    return video;
  }

  async isLocked(videoId: number): Promise<boolean> {
    return (await lockedMediaIds(this.deps.db, 'video', [videoId], nowIso())).has(videoId);
  }

  async list(actor: Actor): Promise<{ videos: VideoListItem[]; labels: { id: number; name: string }[] }> {
    const videos = await listVideos(this.deps.db, requireCenterScope(actor));
    const locked = await lockedMediaIds(this.deps.db, 'video', videos.map((v) => v.id), nowIso());
    const labels = await this.deps.db.selectFrom('labels').select(['id', 'name']).orderBy('name').execute();
    const summaries = await segmentStatusSummaries(this.deps.db, videos.map((v) => v.id));
    return { videos: videos.map((v) => listItem(v, locked.has(v.id), summaries.get(v.id))), labels: labels.map((l) => ({ id: Number(l.id), name: l.name })) };
  }

  async details(actor: Actor, id: number): Promise<VideoDetails> {
    const video = await this.video(actor, id);
    const [raw, processed] = await Promise.all([findHlsArtifact(this.deps.db, id, 'raw'), findHlsArtifact(this.deps.db, id, 'processed')]);
    const history = await listHistory(this.deps.db, id);
    const lastFailure = video.processing_error ? history.find((h) => h.status === 'failed') : undefined;
    const playlist = (kind: 'raw' | 'processed', ready: boolean) => (ready ? `/endoreg-api/media/videos/${id}/hls/playlist/?type=${kind}` : null);
    return {
      ...listItem(video, await this.isLocked(id), (await segmentStatusSummaries(this.deps.db, [id])).get(id)),
      uuid: video.uuid,
      width: video.width,
      height: video.height,
      uploaded_at: video.uploaded_at,
      sensitive_meta_id: video.sensitive_meta_id,
      has_raw: video.raw_file !== null,
      has_processed: video.processed_file !== null,
      processed_file_sha256: video.processed_file_sha256,
      hls: { raw: playlist('raw', raw?.status === 'ready'), processed: playlist('processed', processed?.status === 'ready') },
      error_detail: lastFailure?.error_detail ?? '',
    };
  }

  async metadata(actor: Actor, id: number): Promise<VideoMetadata> {
    const video = await this.video(actor, id);
    const history = await listHistory(this.deps.db, id);
    const removal = history.find((h) => h.operation === 'frame_removal' && h.status === 'succeeded');
    const removed = Number(removal?.output.removed_frames ?? 0);
    const total = video.frame_count ?? 0;
    return { id, fps: video.fps, duration: video.duration_seconds, frame_count: video.frame_count, width: video.width, height: video.height, sensitive_frame_count: removed, total_frames: total, sensitive_ratio: total > 0 ? removed / total : 0 };
  }

  async history(actor: Actor, id: number): Promise<ProcessingHistoryEntry[]> {
    await this.video(actor, id);
    const entries = await listHistory(this.deps.db, id);
    const downloadable = latestDownloadable(entries);
    return entries.map((h) => historyView(h, h.id === downloadable));
  }

  /** The processed file a history entry produced, when it is still the current one. */
  async historyOutput(actor: Actor, videoId: number, historyId: number): Promise<{ relativePath: string; fileName: string }> {
    const video = await this.video(actor, videoId);
    const entry = await findHistory(this.deps.db, videoId, historyId);
    if (!entry) throw new NotFound('Eintrag der Verarbeitungshistorie nicht gefunden.');
    if (entry.id !== latestDownloadable(await listHistory(this.deps.db, videoId)) || !video.processed_file) {
      throw new NotFound('Die Ausgabe dieses Laufs ist nicht mehr verfügbar (ein späterer Lauf hat sie ersetzt).');
    }
    return { relativePath: relative(this.deps.protectedMediaRoot, join(this.deps.storageDir, video.processed_file)), fileName: `video-${videoId}-anonymisiert.mp4` };
  }

  /** One frame of the processed video as JPEG, by its exact frame number (decoded presentation order). */
  async frameJpeg(actor: Actor, videoId: number, frame: number): Promise<Buffer> {
    const video = await this.video(actor, videoId);
    if (!video.processed_file || !video.anonymized) throw new Conflict('Für dieses Video gibt es noch keine anonymisierte Fassung.');
    if (video.frame_count !== null && (frame < 0 || frame >= video.frame_count)) throw new NotFound(`Bild ${frame} liegt außerhalb des Videos (0–${video.frame_count - 1}).`);
    const storage = await this.deps.storage.service();
    return withPrivateWorkDir(videoTempRoot(this.deps.storageDir, 'frame_stream'), `video-${videoId}`, async (dir) => {
      const path = join(dir, 'processed.mp4');
      await decryptToPrivateFile(storage, video.processed_file!, path);
      // The cached index of this processed file (same numbering as segments and export), else decoded once and cached.
      const source = processedSource(video);
      let index = await cachedProcessedFrameIndex(this.deps.db, videoId, source.sha256);
      if (!index) {
        index = await frameTimestamps(this.deps.tools, path);
        await cacheProcessedFrameIndex(this.deps.db, videoId, source, index, nowIso());
      }
      if (frame >= index.frameCount) throw new NotFound(`Bild ${frame} liegt außerhalb des Videos (0–${index.frameCount - 1}).`);
      const files = await extractFrames(this.deps.tools, { path, frameNumbers: [frame], outDir: join(dir, 'frames'), frameIndex: index });
      return sharp(await readFile(files.get(frame)!)).jpeg({ quality: 90 }).toBuffer();
    });
  }
}

function listItem(v: VideoRecord, locked: boolean, segments: SegmentStatusSummary | undefined): VideoListItem {
  return {
    id: v.id,
    original_file_name: v.original_file_name,
    status: videoAnonymizationStatus({ ...v, processing_locked: locked }),
    anonymized: v.anonymized,
    segment_annotations_validated: v.segment_annotations_validated,
    segment_annotation_status: v.segment_annotations_validated ? 'validated' : 'not_started',
    outside_segments_removed: v.outside_segments_removed,
    post_validation_rebuild: segments?.postValidation ?? (v.outside_segments_removed ? 'validated' : 'not_started'),
    duration: v.duration_seconds,
    fps: v.fps,
    frame_count: v.frame_count,
    center_key: v.center_key,
    center_name: v.center_name,
    processor_name: v.processor_name,
    validated_annotators: [...(segments?.validatedAnnotators ?? [])],
    processing_locked: locked,
  };
}

function latestDownloadable(entries: readonly HistoryEntry[]): number | undefined {
  return entries.find((h) => MASK_OPERATIONS.has(h.operation) && h.status === 'succeeded')?.id;
}

function historyView(h: HistoryEntry, hasOutputFile: boolean): ProcessingHistoryEntry {
  return {
    id: h.id,
    video_id: h.video_file_id,
    operation: h.operation,
    status: h.status,
    config: h.config,
    output: h.output,
    error_detail: h.error_detail,
    progress: h.progress,
    progress_step: h.progress_step,
    has_output_file: hasOutputFile,
    task_id: h.task_id,
    started_at: h.started_at,
    finished_at: h.finished_at,
    duration_ms: h.duration_ms,
  };
}

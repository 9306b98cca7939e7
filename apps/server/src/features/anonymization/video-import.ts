import { extname } from 'node:path';
import type { StorageService } from '../../adapters/storage/index.js';
import { nowIso, type Db } from '../../db/index.js';
import type { Logger } from '../../log/logger.js';
import { defaultProcessorName, findProcessorId, findVideo, findVideoIdByHash, insertVideoFile } from '../media/index.js';
import { VideoProcessingFailed, type VideoProcessingService } from './video-processing.service.js';
import { insertEmptySensitiveMeta } from './video-sensitive-meta.js';

/** What the video import step gets from ingest (a subset of its `UploadSourceForImport`). */
export interface VideoImportSource {
  readonly uploadJobId: string;
  readonly centerId: number;
  readonly storedPath: string;
  readonly contentHash: string;
  readonly originalFilename: string;
  readonly processorName: string | null;
  readonly storage: StorageService;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** Where a video's raw file is stored (encrypted): by content hash, so a rerun rewrites the same file. */
export function rawVideoPath(contentHash: string, originalFilename: string): string {
  const ext = extname(originalFilename).toLowerCase();
  return `videos/raw/${contentHash}${/^\.[a-z0-9]{2,5}$/.test(ext) ? ext : '.video'}`;
}

const VIDEO_EXISTS_ELSEWHERE = 'Dieses Video ist bereits einem anderen Zentrum zugeordnet und wird nicht erneut importiert.';

/**
 * The video import of an upload job (ingest's `importers.video`): VideoFile, VideoState
 * and SensitiveMeta for the job's center and processor, the raw file copied into video
 * storage (so the upload copy can be cleaned up and the video reprocessed later), then the
 * anonymization run. A failed run leaves the video with `processing_error` and its raw file
 * in place, and fails the upload job with the run's German reason.
 */
export class VideoImporter {
  constructor(
    private readonly deps: { db: Db; processing: VideoProcessingService; defaultProcessor: string },
  ) {}

  async import(source: VideoImportSource): Promise<{ kind: 'video'; mediaId: number; sensitiveMetaId: number | null }> {
    const { db } = this.deps;
    const known = await findVideoIdByHash(db, source.contentHash);
    if (known && known.centerId !== source.centerId) throw new VideoProcessingFailed(known.id, VIDEO_EXISTS_ELSEWHERE);
    let videoId = known?.id;
    if (videoId === undefined) {
      const stored = await source.storage.write(rawVideoPath(source.contentHash, source.originalFilename), await source.storage.read(source.storedPath));
      if (stored.sha256Hex !== source.contentHash) throw new VideoProcessingFailed(0, 'Die gespeicherte Videodatei stimmt nicht mit der hochgeladenen überein (Prüfsumme).');
      const processorName = source.processorName ?? (await defaultProcessorName(db)) ?? this.deps.defaultProcessor;
      const processorId = (await findProcessorId(db, processorName)) ?? null;
      videoId = await this.#insert(source, stored.relativePath, processorId);
    }
    const outcome = await this.deps.processing.anonymize(videoId, { taskId: `upload:${source.uploadJobId}`, signal: source.signal, logger: source.logger });
    if (outcome.status === 'locked') throw new VideoProcessingFailed(videoId, 'Das Video wird gerade von einem anderen Lauf verarbeitet; bitte den Upload später erneut verarbeiten.');
    const video = await findVideo(db, videoId);
    return { kind: 'video', mediaId: videoId, sensitiveMetaId: video?.sensitive_meta_id ?? null };
  }

  async #insert(source: VideoImportSource, rawFile: string, processorId: number | null): Promise<number> {
    try {
      return await this.deps.db.transaction().execute(async (trx) => {
        const now = nowIso();
        const sensitiveMetaId = await insertEmptySensitiveMeta(trx, source.centerId, now);
        const { id } = await insertVideoFile(trx, { centerId: source.centerId, processorId, rawFile, videoHash: source.contentHash, originalFileName: source.originalFilename, uploadJobId: source.uploadJobId, sensitiveMetaId }, now);
        return id;
      });
    } catch (error) {
      // A concurrent import of the same content won the unique video_hash: use its row.
      const winner = await findVideoIdByHash(this.deps.db, source.contentHash);
      if (!winner) throw error;
      if (winner.centerId !== source.centerId) throw new VideoProcessingFailed(winner.id, VIDEO_EXISTS_ELSEWHERE);
      return winner.id;
    }
  }
}

import { frameTimestamps, type FrameIndex, type MediaTools } from '../../adapters/ffmpeg/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import { nowIso, type Db } from '../../db/index.js';
import { Conflict } from '../../shared/errors.js';
import type { VideoRecord } from '../media/index.js';
import { findCachedFrameIndex, saveFrameIndex } from './frame-index.repository.js';
import { withDecryptedVideo } from './video-workfile.js';

/** The processed file segments refer to, with the hash its cached frame index is keyed on. */
export function processedSource(video: Pick<VideoRecord, 'id' | 'processed_file' | 'processed_file_sha256' | 'processed_video_hash'>): { file: string; sha256: string } {
  const sha256 = video.processed_file_sha256 ?? video.processed_video_hash;
  if (!video.processed_file || !sha256) {
    throw new Conflict('Für dieses Video gibt es noch keine anonymisierte Datei; Segmente sind erst nach der Anonymisierung möglich.');
  }
  return { file: video.processed_file, sha256 };
}

/**
 * Frame indexes of processed videos: decoded once from the file's presentation timestamps and
 * cached per content hash, so every request converts seconds and frames on the same numbering
 * as the player, frame extraction and the post-validation rebuild.
 */
export class VideoFrameIndexes {
  constructor(
    private readonly db: Db,
    private readonly storage: LazyStorage,
    private readonly tools: MediaTools,
    private readonly tempRoot: string,
  ) {}

  async forVideo(video: Pick<VideoRecord, 'id' | 'processed_file' | 'processed_file_sha256' | 'processed_video_hash'>, signal?: AbortSignal): Promise<FrameIndex> {
    const source = processedSource(video);
    const cached = await findCachedFrameIndex(this.db, video.id, source.sha256);
    if (cached) return cached;
    const storage = await this.storage.service();
    const index = await withDecryptedVideo(storage, source.file, this.tempRoot, (path) => frameTimestamps(this.tools, path), signal);
    await saveFrameIndex(this.db, video.id, source, index, nowIso());
    return index;
  }

  /** Records the index of a file just written (same numbering), so nothing is decoded again. */
  async remember(videoId: number, source: { file: string; sha256: string }, index: FrameIndex): Promise<void> {
    await saveFrameIndex(this.db, videoId, source, index, nowIso());
  }
}

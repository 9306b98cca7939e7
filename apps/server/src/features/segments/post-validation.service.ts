import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { blackenFrameRanges, frameTimestamps, MediaInputError, MediaToolError, type MediaTools } from '../../adapters/ffmpeg/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import { nowIso, type Db } from '../../db/index.js';
import { PermanentJobError, type JobContext } from '../../jobs/index.js';
import { acquireMediaLease, findVideo, finishHistory, releaseMediaLease, setVideoState, startHistory, updateVideoFile } from '../media/index.js';
import { findPostValidation, setPostValidation, transitionPostValidation } from './post-validation.repository.js';
import { inclusiveRanges } from './segment-frames.js';
import { MATERIALIZE_HLS_JOB, type PostValidationRebuildPayload } from './segments.job-names.js';
import { listSegments, OUTSIDE_LABEL, setSegmentFlags } from './segments.repository.js';
import { processedSource, type VideoFrameIndexes } from './video-frame-index.js';
import { withDecryptedVideo } from './video-workfile.js';

/** The rebuild holds the video's operation lease this long (one re-encode of the processed video). */
const LEASE_MS = 60 * 60 * 1000;

export interface PostValidationDeps {
  readonly db: Db;
  readonly frameIndexes: VideoFrameIndexes;
  readonly storage: LazyStorage;
  readonly tools: MediaTools;
  readonly tempRoot: string;
  readonly threads?: number;
}

/**
 * The post-validation rebuild job: every frame inside the validated `outside` segments of the
 * processed video becomes black (exact frame index), the result replaces the encrypted processed
 * file atomically, and the processed HLS is rebuilt. Status: `cleanup_queued → cleanup_running
 * → validated`, or `cleanup_failed` with a detail the UI shows.
 */
export class PostValidationRebuild {
  constructor(private readonly deps: PostValidationDeps) {}

  async run(payload: PostValidationRebuildPayload, context: Pick<JobContext, 'signal' | 'jobId' | 'queue'>): Promise<void> {
    const { db } = this.deps;
    const video = await findVideo(db, payload.videoId);
    if (!video) return;
    const owner = `job:${context.jobId}`;
    if (!(await acquireMediaLease(db, { mediaType: 'video', mediaId: video.id, operation: 'post_validation_rebuild', owner, expiresAt: new Date(Date.now() + LEASE_MS).toISOString() }, nowIso()))) {
      throw new Error(`video ${video.id} is being processed by another run; the rebuild waits for it`);
    }
    let historyId: number | undefined;
    try {
      // A finished or reopened video has nothing to do: this is what makes a second delivery harmless.
      if (!(await transitionPostValidation(db, video.id, ['cleanup_queued', 'cleanup_running', 'cleanup_failed'], 'cleanup_running', { job_id: context.jobId, detail: '' }, nowIso()))) return;
      const onlyValidated = (await findPostValidation(db, video.id))?.only_validated ?? true;
      const outside = (await listSegments(db, video.id, { origin: 'manual', labelName: OUTSIDE_LABEL })).filter((s) => s.is_validated || !onlyValidated);
      if (outside.length === 0) {
        await this.#finish(video.id, 0, 'Keine Außerhalb-Segmente zu schwärzen.');
        return;
      }
      const source = processedSource(video);
      const index = await this.deps.frameIndexes.forVideo(video, context.signal);
      const ranges = inclusiveRanges(outside.map((s) => ({ startFrame: s.start_frame_number, endFrame: Math.min(s.end_frame_number, index.frameCount) })));
      const blackened = ranges.reduce((n, r) => n + r.endFrame - r.startFrame + 1, 0);
      historyId = await startHistory(db, { videoId: video.id, operation: 'reprocessing', config: { kind: 'post_validation_rebuild', only_validated: onlyValidated, ranges: ranges.length }, taskId: context.jobId }, nowIso());
      const storage = await this.deps.storage.service();
      const stored = await withDecryptedVideo(
        storage,
        source.file,
        this.deps.tempRoot,
        async (input, dir) => {
          const output = join(dir, 'blackened.mp4');
          await blackenFrameRanges(this.deps.tools, { input, output, ranges, threads: this.deps.threads, signal: context.signal });
          const check = await frameTimestamps(this.deps.tools, output);
          if (check.frameCount !== index.frameCount) throw new PermanentJobError(`the blackened video has ${check.frameCount} frames instead of ${index.frameCount}`);
          const written = await storage.write(source.file, createReadStream(output));
          await this.deps.frameIndexes.remember(video.id, { file: source.file, sha256: written.sha256Hex }, check);
          return written;
        },
        context.signal,
      );
      await db.transaction().execute(async (trx) => {
        const now = nowIso();
        await updateVideoFile(trx, video.id, { processed_video_hash: stored.sha256Hex }, now);
        await setVideoState(trx, video.id, { processed_file_sha256: stored.sha256Hex }, now);
      });
      await finishHistory(db, historyId, { status: 'succeeded', output: { blackened_frames: blackened, ranges: ranges.length } }, nowIso());
      await context.queue.enqueue('ffmpeg_media', MATERIALIZE_HLS_JOB, { videoId: video.id, kind: 'processed' }, { centerId: video.center_id });
      await this.#finish(video.id, blackened, `${blackened} Bilder in ${ranges.length} Außerhalb-Segment(en) geschwärzt; HLS wird neu erstellt.`);
    } catch (error) {
      const reason = failureReason(error);
      await setPostValidation(db, video.id, 'cleanup_failed', { detail: `Schwärzen der Außerhalb-Segmente fehlgeschlagen: ${reason}` }, nowIso());
      if (historyId !== undefined) await finishHistory(db, historyId, { status: 'failed', errorDetail: reason }, nowIso());
      throw error;
    } finally {
      await releaseMediaLease(db, 'video', video.id, owner);
    }
  }

  async #finish(videoId: number, blackenedFrames: number, detail: string): Promise<void> {
    await this.deps.db.transaction().execute(async (trx) => {
      const now = nowIso();
      await setSegmentFlags(trx, videoId, { outside_segments_removed: true }, now);
      await setPostValidation(trx, videoId, 'validated', { detail, blackened_frames: blackenedFrames }, now);
    });
  }
}

/** What the UI may show: tool and input messages as they are, never paths or internals. */
function failureReason(error: unknown): string {
  if (error instanceof MediaInputError || error instanceof PermanentJobError || error instanceof MediaToolError) return error.message.slice(0, 500);
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'Die anonymisierte Videodatei fehlt im Speicher.';
  return 'interner Fehler (Details im Protokoll des Workers).';
}

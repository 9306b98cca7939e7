import { z } from 'zod';
import { dbBool, dbInt, dbTimestamp } from '../../db/index.js';
import type { Executor } from './segments.repository.js';

/** Per-video post-validation states, as the original names them. */
export const POST_VALIDATION_STATUSES = ['not_started', 'cleanup_queued', 'cleanup_running', 'validated', 'cleanup_failed'] as const;
export type PostValidationStatus = (typeof POST_VALIDATION_STATUSES)[number];

const statusRow = z.object({
  status: z.enum(POST_VALIDATION_STATUSES),
  detail: z.string(),
  only_validated: dbBool,
  job_id: z.string().nullable(),
  blackened_frames: dbInt,
  requested_by: z.string().nullable(),
  updated_at: dbTimestamp,
});
export type PostValidationRecord = z.output<typeof statusRow>;

export async function findPostValidation(db: Executor, videoId: number): Promise<PostValidationRecord | undefined> {
  const row = await db
    .selectFrom('video_segment_status')
    .select(['status', 'detail', 'only_validated', 'job_id', 'blackened_frames', 'requested_by', 'updated_at'])
    .where('video_file_id', '=', videoId)
    .executeTakeFirst();
  return row ? statusRow.parse(row) : undefined;
}

export type PostValidationWrite = Partial<{ detail: string; only_validated: boolean; job_id: string | null; blackened_frames: number; requested_by: string | null }>;

export async function setPostValidation(db: Executor, videoId: number, status: PostValidationStatus, values: PostValidationWrite, now: string): Promise<void> {
  const set = { status, ...values, ...(values.detail !== undefined ? { detail: values.detail.slice(0, 4000) } : {}), updated_at: now };
  await db
    .insertInto('video_segment_status')
    .values({ video_file_id: videoId, ...set })
    .onConflict((oc) => oc.column('video_file_id').doUpdateSet(set))
    .execute();
}

/**
 * Moves the status from one of `from` to `to` in one statement; false when another run
 * changed it first (a job that lost this race returns early).
 */
export async function transitionPostValidation(db: Executor, videoId: number, from: readonly PostValidationStatus[], to: PostValidationStatus, values: PostValidationWrite, now: string): Promise<boolean> {
  const result = await db
    .updateTable('video_segment_status')
    .set({ status: to, ...values, updated_at: now })
    .where('video_file_id', '=', videoId)
    .where('status', 'in', [...from])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** What the video list shows per video: the post-validation status and who validated segments. */
export interface SegmentStatusSummary {
  readonly postValidation: PostValidationStatus;
  readonly validatedAnnotators: readonly string[];
}

/** Summaries for many videos in two queries (for `GET media/videos/`); videos without any row get `not_started` and no annotators. */
export async function segmentStatusSummaries(db: Executor, videoIds: readonly number[]): Promise<Map<number, SegmentStatusSummary>> {
  const ids = videoIds.length > 0 ? [...videoIds] : [-1];
  const statuses = await db.selectFrom('video_segment_status').select(['video_file_id', 'status']).where('video_file_id', 'in', ids).execute();
  const annotators = await db
    .selectFrom('label_video_segments')
    .select(['video_file_id', 'annotator'])
    .distinct()
    .where('video_file_id', 'in', ids)
    .where('segment_origin', '=', 'manual')
    .where('is_validated', '=', true)
    .orderBy('annotator')
    .execute();
  const result = new Map<number, SegmentStatusSummary>();
  for (const id of videoIds) {
    const status = statuses.find((s) => Number(s.video_file_id) === id)?.status;
    result.set(id, {
      postValidation: (POST_VALIDATION_STATUSES as readonly string[]).includes(status ?? '') ? (status as PostValidationStatus) : 'not_started',
      validatedAnnotators: annotators.filter((a) => Number(a.video_file_id) === id).map((a) => a.annotator),
    });
  }
  return result;
}

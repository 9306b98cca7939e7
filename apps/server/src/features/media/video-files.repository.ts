import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { dbBool, dbInt, type DB } from '../../db/index.js';

export type Executor = Kysely<DB> | Transaction<DB>;

const nullableInt = dbInt.nullable();
const nullableNumber = z.union([z.number(), z.string()]).transform(Number).nullable();

const videoRowSchema = z.object({
  id: dbInt,
  uuid: z.string(),
  center_id: dbInt,
  center_key: z.string().nullable(),
  center_name: z.string().nullable(),
  processor_id: nullableInt,
  processor_name: z.string().nullable(),
  raw_file: z.string().nullable(),
  processed_file: z.string().nullable(),
  video_hash: z.string(),
  processed_video_hash: z.string().nullable(),
  original_file_name: z.string().nullable(),
  uploaded_at: z.string(),
  fps: nullableNumber,
  duration_seconds: nullableNumber,
  frame_count: nullableInt,
  width: nullableInt,
  height: nullableInt,
  sensitive_meta_id: nullableInt,
  upload_job_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  processing_started: dbBool,
  frames_extracted: dbBool,
  video_meta_extracted: dbBool,
  text_meta_extracted: dbBool,
  sensitive_meta_processed: dbBool,
  anonymized: dbBool,
  anonymization_validated: dbBool,
  processing_error: dbBool,
  segment_annotations_validated: dbBool,
  outside_segments_removed: dbBool,
  processed_file_sha256: z.string().nullable(),
});

/** A video file with its state flags, center and processor, as every reader of this feature sees it. */
export type VideoRecord = z.output<typeof videoRowSchema>;

/** The state flags of the processing pipeline (VideoState). */
export type VideoStateUpdate = Partial<
  Pick<VideoRecord, 'processing_started' | 'frames_extracted' | 'video_meta_extracted' | 'text_meta_extracted' | 'sensitive_meta_processed' | 'anonymized' | 'processing_error'>
> & { processed_file_sha256?: string | null };

function videoQuery(db: Executor) {
  return db
    .selectFrom('video_files as v')
    .leftJoin('video_states as s', 's.video_file_id', 'v.id')
    .leftJoin('centers as c', 'c.id', 'v.center_id')
    .leftJoin('endoscopy_processors as p', 'p.id', 'v.processor_id')
    .select([
      'v.id', 'v.uuid', 'v.center_id', 'c.center_key as center_key', 'c.name as center_name', 'v.processor_id', 'p.name as processor_name',
      'v.raw_file', 'v.processed_file', 'v.video_hash', 'v.processed_video_hash', 'v.original_file_name', 'v.uploaded_at', 'v.fps', 'v.duration_seconds',
      'v.frame_count', 'v.width', 'v.height', 'v.sensitive_meta_id', 'v.upload_job_id', 'v.created_at', 'v.updated_at',
    ])
    .select((eb) => [
      eb.fn.coalesce('s.processing_started', eb.val(false)).as('processing_started'),
      eb.fn.coalesce('s.frames_extracted', eb.val(false)).as('frames_extracted'),
      eb.fn.coalesce('s.video_meta_extracted', eb.val(false)).as('video_meta_extracted'),
      eb.fn.coalesce('s.text_meta_extracted', eb.val(false)).as('text_meta_extracted'),
      eb.fn.coalesce('s.sensitive_meta_processed', eb.val(false)).as('sensitive_meta_processed'),
      eb.fn.coalesce('s.anonymized', eb.val(false)).as('anonymized'),
      eb.fn.coalesce('s.anonymization_validated', eb.val(false)).as('anonymization_validated'),
      eb.fn.coalesce('s.processing_error', eb.val(false)).as('processing_error'),
      eb.fn.coalesce('s.segment_annotations_validated', eb.val(false)).as('segment_annotations_validated'),
      eb.fn.coalesce('s.outside_segments_removed', eb.val(false)).as('outside_segments_removed'),
      's.processed_file_sha256',
    ]);
}

/** One video with state; undefined when it does not exist (center checks are the caller's). */
export async function findVideo(db: Executor, id: number): Promise<VideoRecord | undefined> {
  const row = await videoQuery(db).where('v.id', '=', id).executeTakeFirst();
  return row ? videoRowSchema.parse(row) : undefined;
}

/** Videos of the given centers (`all` for unrestricted actors), newest first. */
export async function listVideos(db: Executor, centers: readonly number[] | 'all', limit = 1000): Promise<VideoRecord[]> {
  let query = videoQuery(db).orderBy('v.id', 'desc').limit(limit);
  if (centers !== 'all') query = query.where('v.center_id', 'in', centers.length > 0 ? [...centers] : [-1]);
  return (await query.execute()).map((r) => videoRowSchema.parse(r));
}

export async function findVideoIdByHash(db: Executor, videoHash: string): Promise<{ id: number; centerId: number } | undefined> {
  const row = await db.selectFrom('video_files').select(['id', 'center_id']).where('video_hash', '=', videoHash).executeTakeFirst();
  return row ? { id: Number(row.id), centerId: Number(row.center_id) } : undefined;
}

export interface NewVideoFile {
  readonly centerId: number;
  readonly processorId: number | null;
  readonly rawFile: string;
  readonly videoHash: string;
  readonly originalFileName: string;
  readonly uploadJobId: string | null;
  readonly sensitiveMetaId: number;
}

/** Inserts a video with an empty state (all flags false); returns its id and uuid. */
export async function insertVideoFile(db: Executor, video: NewVideoFile, now: string): Promise<{ id: number; uuid: string }> {
  const uuid = randomUUID();
  const row = await db
    .insertInto('video_files')
    .values({
      uuid,
      center_id: video.centerId,
      processor_id: video.processorId,
      raw_file: video.rawFile,
      video_hash: video.videoHash,
      original_file_name: video.originalFileName,
      upload_job_id: video.uploadJobId,
      sensitive_meta_id: video.sensitiveMetaId,
      uploaded_at: now,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const id = Number(row.id);
  await db.insertInto('video_states').values({ video_file_id: id, updated_at: now }).execute();
  return { id, uuid };
}

export type VideoFileUpdate = Partial<{
  processor_id: number | null;
  raw_file: string | null;
  processed_file: string | null;
  processed_video_hash: string | null;
  fps: number | null;
  duration_seconds: number | null;
  frame_count: number | null;
  width: number | null;
  height: number | null;
  upload_job_id: string | null;
  processed_streamable_relative_path: string | null;
  raw_streamable_relative_path: string | null;
}>;

export async function updateVideoFile(db: Executor, id: number, values: VideoFileUpdate, now: string): Promise<void> {
  await db.updateTable('video_files').set({ ...values, updated_at: now }).where('id', '=', id).execute();
}

/** Sets VideoState flags (creating the state row if an older import left none). */
export async function setVideoState(db: Executor, videoId: number, flags: VideoStateUpdate, now: string): Promise<void> {
  const updated = await db.updateTable('video_states').set({ ...flags, updated_at: now }).where('video_file_id', '=', videoId).executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) await db.insertInto('video_states').values({ video_file_id: videoId, ...flags, updated_at: now }).execute();
}

/** A processor's id by name (processors are shared base data). */
export async function findProcessorId(db: Executor, name: string): Promise<number | undefined> {
  const row = await db.selectFrom('endoscopy_processors').select('id').where('name', '=', name).executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

/** The processor chosen in the application settings, if any. */
export async function defaultProcessorName(db: Executor): Promise<string | undefined> {
  const row = await db
    .selectFrom('application_settings as a')
    .innerJoin('endoscopy_processors as p', 'p.id', 'a.processor_id')
    .select('p.name')
    .orderBy('a.id')
    .executeTakeFirst();
  return row?.name;
}

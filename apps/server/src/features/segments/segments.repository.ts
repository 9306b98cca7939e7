import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { dbBool, dbInt, dbTimestamp, type DB } from '../../db/index.js';

export type Executor = Kysely<DB> | Transaction<DB>;

export const SEGMENT_ORIGINS = ['manual', 'prediction'] as const;
export type SegmentOrigin = (typeof SEGMENT_ORIGINS)[number];

/** Information source names of the original. */
export const MANUAL_SOURCE = 'manual_annotation';
export const PREDICTION_SOURCE = 'prediction';
/** The label whose validated segments are blackened by the post-validation rebuild. */
export const OUTSIDE_LABEL = 'outside';

const segmentRow = z.object({
  id: dbInt,
  video_file_id: dbInt,
  label_id: dbInt,
  label_name: z.string(),
  start_frame_number: dbInt,
  end_frame_number: dbInt,
  source_name: z.string(),
  segment_origin: z.enum(SEGMENT_ORIGINS),
  prediction_meta_id: dbInt.nullable(),
  annotator: z.string(),
  created_by: z.string(),
  export_segment: dbBool,
  is_validated: dbBool,
  validated_by: z.string().nullable(),
  validated_at: dbTimestamp.nullable(),
  notes: z.string(),
  version: dbInt,
  updated_at: dbTimestamp,
});
export type SegmentRecord = z.output<typeof segmentRow>;

function segmentQuery(db: Executor) {
  return db
    .selectFrom('label_video_segments as s')
    .innerJoin('labels as l', 'l.id', 's.label_id')
    .select([
      's.id', 's.video_file_id', 's.label_id', 'l.name as label_name', 's.start_frame_number', 's.end_frame_number', 's.source_name', 's.segment_origin',
      's.prediction_meta_id', 's.annotator', 's.created_by', 's.export_segment', 's.is_validated', 's.validated_by', 's.validated_at', 's.notes', 's.version', 's.updated_at',
    ]);
}

export interface SegmentFilter {
  readonly origin?: SegmentOrigin;
  readonly labelName?: string;
  readonly annotator?: string;
  readonly ids?: readonly number[];
}

export async function listSegments(db: Executor, videoId: number, filter: SegmentFilter = {}): Promise<SegmentRecord[]> {
  let q = segmentQuery(db).where('s.video_file_id', '=', videoId);
  if (filter.origin) q = q.where('s.segment_origin', '=', filter.origin);
  if (filter.labelName) q = q.where('l.name', '=', filter.labelName);
  if (filter.annotator) q = q.where('s.annotator', '=', filter.annotator);
  if (filter.ids) q = q.where('s.id', 'in', filter.ids.length > 0 ? [...filter.ids] : [-1]);
  const rows = await q.orderBy('s.start_frame_number').orderBy('s.id').execute();
  return rows.map((r) => segmentRow.parse(r));
}

export async function findSegment(db: Executor, videoId: number, id: number): Promise<SegmentRecord | undefined> {
  const row = await segmentQuery(db).where('s.video_file_id', '=', videoId).where('s.id', '=', id).executeTakeFirst();
  return row ? segmentRow.parse(row) : undefined;
}

export interface NewSegment {
  readonly videoId: number;
  readonly labelId: number;
  readonly startFrame: number;
  readonly endFrame: number;
  readonly sourceName: string;
  readonly origin: SegmentOrigin;
  readonly predictionMetaId: number | null;
  readonly annotator: string;
  readonly createdBy: string;
  readonly exportSegment: boolean;
  readonly notes: string;
}

export async function insertSegment(db: Executor, s: NewSegment, now: string): Promise<number> {
  const row = await db
    .insertInto('label_video_segments')
    .values({
      video_file_id: s.videoId,
      label_id: s.labelId,
      start_frame_number: s.startFrame,
      end_frame_number: s.endFrame,
      source_name: s.sourceName,
      segment_origin: s.origin,
      prediction_meta_id: s.predictionMetaId,
      annotator: s.annotator,
      created_by: s.createdBy,
      export_segment: s.exportSegment,
      notes: s.notes,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export type SegmentChanges = Partial<{
  label_id: number;
  start_frame_number: number;
  end_frame_number: number;
  export_segment: boolean;
  notes: string;
  source_name: string;
  is_validated: boolean;
  validated_by: string | null;
  validated_at: string | null;
}>;

/** Applies changes iff the row still has `expectedVersion`; bumps the version. False when it changed meanwhile. */
export async function updateSegment(db: Executor, videoId: number, id: number, expectedVersion: number, changes: SegmentChanges, now: string): Promise<boolean> {
  const result = await db
    .updateTable('label_video_segments')
    .set((eb) => ({ ...changes, version: eb('version', '+', 1), updated_at: now }))
    .where('video_file_id', '=', videoId)
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteSegment(db: Executor, videoId: number, id: number, expectedVersion: number): Promise<boolean> {
  const result = await db.deleteFrom('label_video_segments').where('video_file_id', '=', videoId).where('id', '=', id).where('version', '=', expectedVersion).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function deletePredictionSegments(db: Executor, videoId: number): Promise<number> {
  const result = await db.deleteFrom('label_video_segments').where('video_file_id', '=', videoId).where('segment_origin', '=', 'prediction').executeTakeFirst();
  return Number(result.numDeletedRows);
}

const labelRow = z.object({ id: dbInt, name: z.string(), display_name: z.string() });
export type LabelRecord = z.output<typeof labelRow>;

export async function findLabel(db: Executor, by: { id?: number; name?: string }): Promise<LabelRecord | undefined> {
  let q = db.selectFrom('labels').select(['id', 'name', 'display_name']);
  if (by.id !== undefined) q = q.where('id', '=', by.id);
  else if (by.name !== undefined) q = q.where('name', '=', by.name);
  else return undefined;
  const row = await q.executeTakeFirst();
  return row ? labelRow.parse(row) : undefined;
}

export async function listLabels(db: Executor): Promise<LabelRecord[]> {
  return (await db.selectFrom('labels').select(['id', 'name', 'display_name']).orderBy('name').execute()).map((r) => labelRow.parse(r));
}

export async function listLabelSets(db: Executor): Promise<{ id: number; name: string; version: number; labels: LabelRecord[] }[]> {
  const sets = await db.selectFrom('label_sets').select(['id', 'name', 'version']).orderBy('name').orderBy('version').execute();
  const members = await db
    .selectFrom('label_set_labels as m')
    .innerJoin('labels as l', 'l.id', 'm.label_id')
    .select(['m.label_set_id', 'l.id', 'l.name', 'l.display_name'])
    .orderBy('l.id')
    .execute();
  return sets.map((s) => ({
    id: Number(s.id),
    name: s.name,
    version: Number(s.version),
    labels: members.filter((m) => Number(m.label_set_id) === Number(s.id)).map((m) => labelRow.parse(m)),
  }));
}

/** Annotators with at least one validated manual segment on the video. */
export async function validatedAnnotators(db: Executor, videoId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('label_video_segments')
    .select('annotator')
    .distinct()
    .where('video_file_id', '=', videoId)
    .where('segment_origin', '=', 'manual')
    .where('is_validated', '=', true)
    .orderBy('annotator')
    .execute();
  return rows.map((r) => r.annotator);
}

export async function countSegments(db: Executor, videoId: number): Promise<{ total: number; validated: number }> {
  const row = await db
    .selectFrom('label_video_segments')
    .select((eb) => [eb.fn.countAll().as('total'), eb.fn.sum(eb.case().when('is_validated', '=', true).then(1).else(0).end()).as('validated')])
    .where('video_file_id', '=', videoId)
    .where('segment_origin', '=', 'manual')
    .executeTakeFirstOrThrow();
  return { total: Number(row.total ?? 0), validated: Number(row.validated ?? 0) };
}

/** Sets the segment flags of VideoState (creating the state row if an older import left none). */
export async function setSegmentFlags(
  db: Executor,
  videoId: number,
  flags: Partial<{ segment_annotations_created: boolean; segment_annotations_validated: boolean; outside_segments_removed: boolean; lvs_created: boolean; initial_prediction_completed: boolean }>,
  now: string,
): Promise<void> {
  const updated = await db.updateTable('video_states').set({ ...flags, updated_at: now }).where('video_file_id', '=', videoId).executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) await db.insertInto('video_states').values({ video_file_id: videoId, ...flags, updated_at: now }).execute();
}

import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/index.js';
import type { ProcessorPreset } from './base-data.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** Inserts or updates a processor preset by name; returns whether a row was created. */
export async function upsertProcessor(db: Executor, p: ProcessorPreset, now: string): Promise<boolean> {
  const values = {
    image_width: p.imageWidth,
    image_height: p.imageHeight,
    endoscope_image_x: p.endoscopeImage.x,
    endoscope_image_y: p.endoscopeImage.y,
    endoscope_image_width: p.endoscopeImage.width,
    endoscope_image_height: p.endoscopeImage.height,
    overlay_rois: JSON.stringify(p.overlayRois),
    geometry_source: p.geometrySource,
  };
  const existing = await db.selectFrom('endoscopy_processors').select(['id', 'geometry_source']).where('name', '=', p.name).executeTakeFirst();
  if (existing) {
    // An operator-edited preset is kept: base data never overwrites local calibration.
    if (existing.geometry_source === 'edited') return false;
    await db.updateTable('endoscopy_processors').set({ ...values, updated_at: now }).where('id', '=', existing.id).execute();
    return false;
  }
  await db.insertInto('endoscopy_processors').values({ name: p.name, ...values, created_at: now, updated_at: now }).execute();
  return true;
}

export async function upsertExamination(db: Executor, name: string, displayName: string): Promise<boolean> {
  const existing = await db.selectFrom('examinations').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) {
    await db.updateTable('examinations').set({ display_name: displayName }).where('id', '=', existing.id).execute();
    return false;
  }
  await db.insertInto('examinations').values({ name, display_name: displayName }).execute();
  return true;
}

export async function upsertLabel(db: Executor, name: string, displayName: string): Promise<{ id: number; created: boolean }> {
  const existing = await db.selectFrom('labels').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) {
    await db.updateTable('labels').set({ display_name: displayName }).where('id', '=', existing.id).execute();
    return { id: Number(existing.id), created: false };
  }
  const row = await db.insertInto('labels').values({ name, label_type: 'multilabel', display_name: displayName }).returning('id').executeTakeFirstOrThrow();
  return { id: Number(row.id), created: true };
}

export async function upsertLabelSet(db: Executor, name: string, version: number, labelIds: readonly number[]): Promise<boolean> {
  let created = false;
  let set = await db.selectFrom('label_sets').select('id').where('name', '=', name).where('version', '=', version).executeTakeFirst();
  if (!set) {
    set = await db.insertInto('label_sets').values({ name, version }).returning('id').executeTakeFirstOrThrow();
    created = true;
  }
  const setId = Number(set.id);
  await db.deleteFrom('label_set_labels').where('label_set_id', '=', setId).execute();
  if (labelIds.length > 0) {
    await db.insertInto('label_set_labels').values(labelIds.map((label_id) => ({ label_set_id: setId, label_id }))).execute();
  }
  return created;
}

import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { dbInt, dbJson, type DB } from '../../db/index.js';
import { OVERLAY_FIELDS } from '../knowledge-base/index.js';
import type { ProcessorGeometry } from './processor-geometry.js';

type Executor = Kysely<DB> | Transaction<DB>;

const rectSchema = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().positive(), height: z.number().int().positive() });
const roisSchema = z.partialRecord(z.enum(OVERLAY_FIELDS), rectSchema);

const rowSchema = z.object({
  name: z.string(),
  image_width: dbInt,
  image_height: dbInt,
  endoscope_image_x: dbInt,
  endoscope_image_y: dbInt,
  endoscope_image_width: dbInt,
  endoscope_image_height: dbInt,
  overlay_rois: dbJson(roisSchema),
  geometry_source: z.string(),
});

function toGeometry(row: unknown): ProcessorGeometry {
  const r = rowSchema.parse(row);
  return {
    name: r.name,
    imageWidth: r.image_width,
    imageHeight: r.image_height,
    endoscopeImage: { x: r.endoscope_image_x, y: r.endoscope_image_y, width: r.endoscope_image_width, height: r.endoscope_image_height },
    overlayRois: r.overlay_rois,
    geometrySource: r.geometry_source,
  };
}

const COLUMNS = ['name', 'image_width', 'image_height', 'endoscope_image_x', 'endoscope_image_y', 'endoscope_image_width', 'endoscope_image_height', 'overlay_rois', 'geometry_source'] as const;

/** A processor preset by name (processors are shared base data, not center-owned). */
export async function findProcessorGeometry(db: Executor, name: string): Promise<ProcessorGeometry | undefined> {
  const row = await db.selectFrom('endoscopy_processors').select(COLUMNS).where('name', '=', name).executeTakeFirst();
  return row ? toGeometry(row) : undefined;
}

/** All presets, by name. */
export async function listProcessorGeometries(db: Executor): Promise<ProcessorGeometry[]> {
  const rows = await db.selectFrom('endoscopy_processors').select(COLUMNS).orderBy('name').execute();
  return rows.map(toGeometry);
}

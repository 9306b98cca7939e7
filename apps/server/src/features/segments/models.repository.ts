import { z } from 'zod';
import type { ClassifierSpec } from '../../adapters/onnx/index.js';
import { dbBool, dbInt, dbJson } from '../../db/index.js';
import type { Executor } from './segments.repository.js';

const Triple = z.tuple([z.number(), z.number(), z.number()]);

const modelRow = z.object({
  id: dbInt,
  ai_model_id: dbInt,
  name: z.string(),
  version: dbInt,
  labelset_id: dbInt,
  labelset_name: z.string(),
  labelset_version: dbInt,
  weights_file: z.string(),
  weights_sha256: z.string(),
  input_width: dbInt,
  input_height: dbInt,
  mean: dbJson(Triple),
  std: dbJson(Triple),
  activation: z.enum(['sigmoid', 'none']),
  batch_size: dbInt,
  output_labels: dbJson(z.array(z.string()).min(1)),
  is_active: dbBool,
});
/** A registered model version: weights (encrypted in storage), label set, preprocessing. */
export type ModelMetaRecord = z.output<typeof modelRow>;

function modelQuery(db: Executor) {
  return db
    .selectFrom('model_meta as m')
    .innerJoin('ai_models as a', 'a.id', 'm.ai_model_id')
    .innerJoin('label_sets as ls', 'ls.id', 'm.labelset_id')
    .select([
      'm.id', 'm.ai_model_id', 'a.name', 'm.version', 'm.labelset_id', 'ls.name as labelset_name', 'ls.version as labelset_version', 'm.weights_file', 'm.weights_sha256',
      'm.input_width', 'm.input_height', 'm.mean', 'm.std', 'm.activation', 'm.batch_size', 'm.output_labels', 'm.is_active',
    ]);
}

export async function listModelMeta(db: Executor): Promise<ModelMetaRecord[]> {
  return (await modelQuery(db).orderBy('a.name').orderBy('m.version', 'desc').execute()).map((r) => modelRow.parse(r));
}

export async function findModelMeta(db: Executor, id: number): Promise<ModelMetaRecord | undefined> {
  const row = await modelQuery(db).where('m.id', '=', id).executeTakeFirst();
  return row ? modelRow.parse(row) : undefined;
}

/** The single output label that marks a ModelMeta as a PHI-region detector (its output is a heat map, not label columns). */
export const PHI_DETECTOR_OUTPUT = 'phi_region';

export function isPhiDetector(model: Pick<ModelMetaRecord, 'output_labels'>): boolean {
  return model.output_labels.length === 1 && model.output_labels[0] === PHI_DETECTOR_OUTPUT;
}

/**
 * The newest active version of a kind (frame classifiers unless asked for PHI detectors),
 * optionally of one model name or label set.
 */
export async function latestActiveModel(db: Executor, filter: { name?: string; labelsetName?: string; labelsetVersion?: number; kind?: 'classifier' | 'phi_detector' } = {}): Promise<ModelMetaRecord | undefined> {
  let q = modelQuery(db).where('m.is_active', '=', true);
  if (filter.name) q = q.where('a.name', '=', filter.name);
  if (filter.labelsetName) q = q.where('ls.name', '=', filter.labelsetName);
  if (filter.labelsetVersion !== undefined) q = q.where('ls.version', '=', filter.labelsetVersion);
  const rows = (await q.orderBy('m.version', 'desc').orderBy('m.id', 'desc').execute()).map((r) => modelRow.parse(r));
  const detector = filter.kind === 'phi_detector';
  return rows.find((m) => isPhiDetector(m) === detector);
}

export async function ensureAiModel(db: Executor, name: string, now: string): Promise<number> {
  const existing = await db.selectFrom('ai_models').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) return Number(existing.id);
  return Number((await db.insertInto('ai_models').values({ name, created_at: now }).returning('id').executeTakeFirstOrThrow()).id);
}

export async function nextModelVersion(db: Executor, aiModelId: number): Promise<number> {
  const row = await db.selectFrom('model_meta').select((eb) => eb.fn.max('version').as('v')).where('ai_model_id', '=', aiModelId).executeTakeFirst();
  return Number(row?.v ?? 0) + 1;
}

export interface NewModelMeta extends ClassifierSpec {
  readonly aiModelId: number;
  readonly version: number;
  readonly labelsetId: number;
  readonly weightsFile: string;
  readonly weightsSha256: string;
  readonly outputLabels: readonly string[];
}

export async function insertModelMeta(db: Executor, m: NewModelMeta, now: string): Promise<number> {
  const row = await db
    .insertInto('model_meta')
    .values({
      ai_model_id: m.aiModelId,
      version: m.version,
      labelset_id: m.labelsetId,
      weights_file: m.weightsFile,
      weights_sha256: m.weightsSha256,
      input_width: m.inputWidth,
      input_height: m.inputHeight,
      mean: JSON.stringify(m.mean),
      std: JSON.stringify(m.std),
      activation: m.activation,
      batch_size: m.batchSize,
      output_labels: JSON.stringify(m.outputLabels),
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Label set id and its label names (ordered by label id: the base-data order). */
export async function findLabelSet(db: Executor, name: string, version?: number): Promise<{ id: number; version: number; labels: string[] } | undefined> {
  let q = db.selectFrom('label_sets').select(['id', 'version']).where('name', '=', name);
  if (version !== undefined) q = q.where('version', '=', version);
  const set = await q.orderBy('version', 'desc').executeTakeFirst();
  if (!set) return undefined;
  const labels = await db
    .selectFrom('label_set_labels as m')
    .innerJoin('labels as l', 'l.id', 'm.label_id')
    .select('l.name')
    .where('m.label_set_id', '=', set.id)
    .orderBy('l.id')
    .execute();
  return { id: Number(set.id), version: Number(set.version), labels: labels.map((l) => l.name) };
}

/** Per label: mean and maximum raw probability, and the share of samples above the threshold after smoothing. */
export type LabelSummary = Record<string, { mean: number; max: number; positive_fraction: number }>;

export interface NewPredictionMeta {
  readonly videoId: number;
  readonly modelMetaId: number;
  readonly frameCount: number;
  readonly frameStride: number;
  readonly sampledFrames: number;
  readonly smoothingWindowSeconds: number;
  readonly threshold: number;
  readonly labelSummary: LabelSummary;
  readonly durationMs: number;
}

export async function insertPredictionMeta(db: Executor, p: NewPredictionMeta, now: string): Promise<number> {
  const row = await db
    .insertInto('video_prediction_meta')
    .values({
      video_file_id: p.videoId,
      model_meta_id: p.modelMetaId,
      frame_count: p.frameCount,
      frame_stride: p.frameStride,
      sampled_frames: p.sampledFrames,
      smoothing_window_seconds: p.smoothingWindowSeconds,
      threshold: p.threshold,
      label_summary: JSON.stringify(p.labelSummary),
      duration_ms: p.durationMs,
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function latestPredictionMetaId(db: Executor, videoId: number): Promise<number | undefined> {
  const row = await db.selectFrom('video_prediction_meta').select('id').where('video_file_id', '=', videoId).orderBy('id', 'desc').executeTakeFirst();
  return row ? Number(row.id) : undefined;
}

import { z } from 'zod';
import { FrameIndex } from '../../adapters/ffmpeg/index.js';
import { dbInt, dbJson } from '../../db/index.js';
import type { Executor } from './segments.repository.js';

/** Presentation timestamps as the first value plus runs of equal steps: a constant-rate video stores a few numbers. */
const PtsRuns = z.object({ first: z.number().int(), runs: z.array(z.tuple([z.number().int(), z.number().int().positive()])) });
type PtsRuns = z.infer<typeof PtsRuns>;

export function encodePts(pts: readonly number[]): PtsRuns {
  const runs: [number, number][] = [];
  for (let i = 1; i < pts.length; i += 1) {
    const step = pts[i]! - pts[i - 1]!;
    const last = runs[runs.length - 1];
    if (last && last[0] === step) last[1] += 1;
    else runs.push([step, 1]);
  }
  return { first: pts[0]!, runs };
}

export function decodePts(encoded: PtsRuns): number[] {
  const pts = [encoded.first];
  for (const [step, count] of encoded.runs) for (let i = 0; i < count; i += 1) pts.push(pts[pts.length - 1]! + step);
  return pts;
}

const rowSchema = z.object({ time_base_num: dbInt, time_base_den: dbInt, frame_count: dbInt, pts_runs: dbJson(PtsRuns) });

/** The cached index of a video's file with this content hash, if any. */
export async function findCachedFrameIndex(db: Executor, videoId: number, sourceSha256: string): Promise<FrameIndex | undefined> {
  const row = await db
    .selectFrom('video_frame_indexes')
    .select(['time_base_num', 'time_base_den', 'frame_count', 'pts_runs'])
    .where('video_file_id', '=', videoId)
    .where('source_sha256', '=', sourceSha256)
    .executeTakeFirst();
  if (!row) return undefined;
  const parsed = rowSchema.parse(row);
  const pts = decodePts(parsed.pts_runs);
  if (pts.length !== parsed.frame_count) return undefined;
  return FrameIndex.fromPts(pts, { num: parsed.time_base_num, den: parsed.time_base_den });
}

export async function saveFrameIndex(db: Executor, videoId: number, source: { file: string; sha256: string }, index: FrameIndex, now: string): Promise<void> {
  const data = index.toData();
  const values = {
    source_file: source.file,
    source_sha256: source.sha256,
    time_base_num: data.timeBase.num,
    time_base_den: data.timeBase.den,
    frame_count: data.pts.length,
    pts_runs: JSON.stringify(encodePts(data.pts)),
    created_at: now,
  };
  await db
    .insertInto('video_frame_indexes')
    .values({ video_file_id: videoId, ...values })
    .onConflict((oc) => oc.column('video_file_id').doUpdateSet(values))
    .execute();
}

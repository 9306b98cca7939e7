import { z } from 'zod';
import { dbInt, dbJson } from '../../db/index.js';
import type { Executor } from './video-files.repository.js';

/** The original's processing history operations. */
export const VIDEO_OPERATIONS = ['mask_overlay', 'frame_removal', 'analysis', 'reprocessing', 'ai_temporal_inference', 'release_gate', 'hls'] as const;
export type VideoOperation = (typeof VIDEO_OPERATIONS)[number];
export const HISTORY_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export type HistoryStatus = (typeof HISTORY_STATUSES)[number];

const jsonObject = dbJson(z.record(z.string(), z.unknown()));
const historySchema = z.object({
  id: dbInt,
  video_file_id: dbInt,
  operation: z.enum(VIDEO_OPERATIONS),
  status: z.enum(HISTORY_STATUSES),
  config: jsonObject,
  output: jsonObject,
  error_detail: z.string(),
  progress: z.union([z.number(), z.string()]).transform(Number),
  progress_step: z.string(),
  output_file: z.string().nullable(),
  task_id: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  duration_ms: dbInt.nullable(),
});
export type HistoryEntry = z.output<typeof historySchema>;

/**
 * Opens a history row in `running`. `config` and `output` must never hold identifier
 * values (field names and counts only): the history is shown to anyone who sees the video.
 */
export async function startHistory(
  db: Executor,
  entry: { videoId: number; operation: VideoOperation; config: Record<string, unknown>; taskId: string | null },
  now: string,
): Promise<number> {
  const row = await db
    .insertInto('video_processing_history')
    .values({ video_file_id: entry.videoId, operation: entry.operation, status: 'running', config: JSON.stringify(entry.config), task_id: entry.taskId, started_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function reportProgress(db: Executor, historyId: number, progress: number, step: string): Promise<void> {
  await db
    .updateTable('video_processing_history')
    .set({ progress: Math.max(0, Math.min(1, progress)), progress_step: step.slice(0, 64) })
    .where('id', '=', historyId)
    .where('status', '=', 'running')
    .execute();
}

export async function finishHistory(
  db: Executor,
  historyId: number,
  result: { status: Exclude<HistoryStatus, 'running'>; output?: Record<string, unknown>; errorDetail?: string; outputFile?: string | null },
  now: string,
): Promise<void> {
  const row = await db.selectFrom('video_processing_history').select('started_at').where('id', '=', historyId).executeTakeFirst();
  const durationMs = row ? Math.max(0, Date.parse(now) - Date.parse(String(row.started_at))) : null;
  await db
    .updateTable('video_processing_history')
    .set({
      status: result.status,
      output: JSON.stringify(result.output ?? {}),
      error_detail: (result.errorDetail ?? '').slice(0, 4000),
      output_file: result.outputFile ?? null,
      ...(result.status === 'succeeded' ? { progress: 1 } : {}),
      finished_at: now,
      duration_ms: durationMs,
    })
    .where('id', '=', historyId)
    .execute();
}

/** Runs left `running` by a worker that died: closed as failed so the history does not lie. */
export async function closeStaleHistory(db: Executor, videoId: number, now: string): Promise<void> {
  await db
    .updateTable('video_processing_history')
    .set({ status: 'failed', error_detail: 'Der Verarbeitungslauf wurde abgebrochen (Worker beendet oder Lauf ersetzt).', finished_at: now })
    .where('video_file_id', '=', videoId)
    .where('status', '=', 'running')
    .execute();
}

export async function listHistory(db: Executor, videoId: number): Promise<HistoryEntry[]> {
  const rows = await db.selectFrom('video_processing_history').selectAll().where('video_file_id', '=', videoId).orderBy('id', 'desc').limit(500).execute();
  return rows.map((r) => historySchema.parse(r));
}

export async function findHistory(db: Executor, videoId: number, historyId: number): Promise<HistoryEntry | undefined> {
  const row = await db.selectFrom('video_processing_history').selectAll().where('video_file_id', '=', videoId).where('id', '=', historyId).executeTakeFirst();
  return row ? historySchema.parse(row) : undefined;
}

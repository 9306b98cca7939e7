import { z } from 'zod';
import { dbInt, dbJson } from '../../db/index.js';
import type { Executor } from './video-files.repository.js';

export const HLS_KINDS = ['raw', 'processed'] as const;
export type HlsKind = (typeof HLS_KINDS)[number];
export type HlsArtifactStatus = 'materializing' | 'ready' | 'failed';

/** The wrapped content key as stored (base64); the raw key never reaches the database. */
export const StoredWrappedKey = z.object({
  key_ciphertext: z.string(),
  key_nonce: z.string(),
  key_wrap_algorithm: z.string(),
  master_key_id: z.string(),
});
export type StoredWrappedKey = z.infer<typeof StoredWrappedKey>;

const artifactSchema = z.object({
  id: dbInt,
  video_file_id: dbInt,
  kind: z.enum(HLS_KINDS),
  status: z.enum(['materializing', 'ready', 'failed']),
  key_id: z.string(),
  wrapped_key: dbJson(z.union([StoredWrappedKey, z.object({}).strict()])),
  iv_hex: z.string(),
  playlist_relative_path: z.string(),
  segment_directory_relative_path: z.string(),
  segment_count: dbInt,
  source_sha256: z.string(),
  last_error: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type HlsArtifact = z.output<typeof artifactSchema>;

export async function findHlsArtifact(db: Executor, videoId: number, kind: HlsKind): Promise<HlsArtifact | undefined> {
  const row = await db.selectFrom('video_hls_artifacts').selectAll().where('video_file_id', '=', videoId).where('kind', '=', kind).executeTakeFirst();
  return row ? artifactSchema.parse(row) : undefined;
}

export async function findHlsArtifactByKey(db: Executor, videoId: number, keyId: string): Promise<HlsArtifact | undefined> {
  const row = await db.selectFrom('video_hls_artifacts').selectAll().where('video_file_id', '=', videoId).where('key_id', '=', keyId).executeTakeFirst();
  return row ? artifactSchema.parse(row) : undefined;
}

export interface HlsArtifactWrite {
  readonly status: HlsArtifactStatus;
  readonly keyId: string;
  readonly wrappedKey?: StoredWrappedKey;
  readonly ivHex?: string;
  readonly playlistRelativePath?: string;
  readonly segmentDirectoryRelativePath?: string;
  readonly segmentCount?: number;
  readonly sourceSha256?: string;
  readonly lastError?: string;
}

/** Creates or replaces the artifact of (video, kind). */
export async function saveHlsArtifact(db: Executor, videoId: number, kind: HlsKind, artifact: HlsArtifactWrite, now: string): Promise<void> {
  const values = {
    status: artifact.status,
    key_id: artifact.keyId,
    wrapped_key: JSON.stringify(artifact.wrappedKey ?? {}),
    iv_hex: artifact.ivHex ?? '',
    playlist_relative_path: artifact.playlistRelativePath ?? '',
    segment_directory_relative_path: artifact.segmentDirectoryRelativePath ?? '',
    segment_count: artifact.segmentCount ?? 0,
    source_sha256: artifact.sourceSha256 ?? '',
    last_error: (artifact.lastError ?? '').slice(0, 2000),
    updated_at: now,
  };
  await db
    .insertInto('video_hls_artifacts')
    .values({ video_file_id: videoId, kind, ...values, created_at: now })
    .onConflict((oc) => oc.columns(['video_file_id', 'kind']).doUpdateSet(values))
    .execute();
}

/** Marks a not-ready artifact failed; a ready snapshot stays playable (the failed rebuild is in the history). */
export async function markHlsArtifactFailed(db: Executor, videoId: number, kind: HlsKind, lastError: string, now: string): Promise<void> {
  await db
    .updateTable('video_hls_artifacts')
    .set({ status: 'failed', last_error: lastError.slice(0, 2000), updated_at: now })
    .where('video_file_id', '=', videoId)
    .where('kind', '=', kind)
    .where('status', '!=', 'ready')
    .execute();
}

export async function deleteHlsArtifact(db: Executor, videoId: number, kind: HlsKind): Promise<void> {
  await db.deleteFrom('video_hls_artifacts').where('video_file_id', '=', videoId).where('kind', '=', kind).execute();
}

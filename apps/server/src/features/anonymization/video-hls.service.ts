import { randomUUID } from 'node:crypto';
import { join, relative } from 'node:path';
import { HLS_PLAYLIST_NAME, materializeHls, removeQuietly, validateHlsDir, type MediaTools } from '../../adapters/ffmpeg/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import { nowIso, type Db } from '../../db/index.js';
import { Invalid } from '../../shared/errors.js';
import { findHlsArtifact, findHlsArtifactByKey, findVideo, finishHistory, markHlsArtifactFailed, saveHlsArtifact, startHistory, StoredWrappedKey, type HlsArtifact, type HlsKind, type VideoRecord } from '../media/index.js';
import { unwrapHlsContentKey, wrapHlsContentKey } from './hls-key.js';
import { videoFailureDetail } from './video-processing.service.js';
import { decryptToPrivateFile, videoTempRoot, withPrivateWorkDir } from './video-workspace.js';

export interface VideoHlsDeps {
  readonly db: Db;
  readonly storage: LazyStorage;
  readonly tools: MediaTools;
  readonly paths: { readonly storageDir: string; readonly protectedMediaRoot: string; readonly streamableRawRoot: string; readonly streamableProcessedRoot: string };
  readonly threads: number;
}

/** The canonical key and segment URLs written into a playlist (contracts §6.2). */
export function hlsUrls(videoId: number, keyId: string): { keyUri: string; segmentBaseUrl: string } {
  return { keyUri: `/endoreg-api/media/videos/${videoId}/hls/key/${keyId}/`, segmentBaseUrl: `/endoreg-api/media/videos/${videoId}/hls/segments/${keyId}/` };
}

export type MaterializeOutcome = 'already_ready' | 'materialized';

/** SHA-256 of the plaintext an artifact of this kind must be made from. */
function sourceSha256(video: VideoRecord, kind: HlsKind): string {
  return kind === 'processed' ? (video.processed_file_sha256 ?? video.processed_video_hash ?? '') : video.video_hash;
}

/**
 * Encrypted HLS of a video's processed (or raw) file. Idempotent: a ready artifact of the
 * same source whose files validate is returned as `already_ready`. A rebuild gets a new key
 * id and directory; the previous ready snapshot stays playable until the new one is ready,
 * and is removed afterwards. Decrypted source and key files live in private temp
 * directories that are removed on every path.
 */
export class VideoHlsService {
  constructor(private readonly deps: VideoHlsDeps) {}

  async materialize(videoId: number, kind: HlsKind, options: { signal?: AbortSignal; taskId?: string } = {}): Promise<MaterializeOutcome> {
    const { db, paths } = this.deps;
    const video = await findVideo(db, videoId);
    if (!video) throw new Invalid(`Video ${videoId} existiert nicht.`);
    const source = kind === 'processed' ? video.processed_file : video.raw_file;
    const sourceSha = sourceSha256(video, kind);
    if (!source) throw new Invalid(kind === 'processed' ? 'Für dieses Video gibt es noch keine anonymisierte Fassung.' : 'Die Originaldatei des Videos ist nicht mehr gespeichert.');

    const existing = await findHlsArtifact(db, videoId, kind);
    if (existing?.status === 'ready' && existing.source_sha256 === sourceSha && (await this.#valid(videoId, existing))) return 'already_ready';

    const keyId = randomUUID();
    const root = kind === 'processed' ? paths.streamableProcessedRoot : paths.streamableRawRoot;
    const keyDir = join(root, 'hls', video.uuid, keyId);
    const outputDir = join(keyDir, 'v0');
    const historyId = await startHistory(db, { videoId, operation: 'hls', config: { kind, key_id: keyId, threads: this.deps.threads }, taskId: options.taskId ?? null }, nowIso());
    if (existing?.status !== 'ready') await saveHlsArtifact(db, videoId, kind, { status: 'materializing', keyId }, nowIso());
    try {
      const storage = await this.deps.storage.service();
      const keyring = await this.deps.storage.keyring();
      const result = await withPrivateWorkDir(videoTempRoot(paths.storageDir, 'hls_plaintext_source'), `video-${videoId}`, async (dir) => {
        const plaintext = join(dir, 'source.mp4');
        await decryptToPrivateFile(storage, source, plaintext, options.signal);
        return materializeHls(this.deps.tools, {
          sourcePlaintextPath: plaintext,
          outputDir,
          keyMaterialDir: join(videoTempRoot(paths.storageDir, 'hls_key_material'), String(videoId)),
          ...hlsUrls(videoId, keyId),
          threads: this.deps.threads,
          signal: options.signal,
        });
      });
      if (result.status !== 'materialized') throw new Error('a fresh HLS directory was reported as existing');
      const wrapped = wrapHlsContentKey(keyring.active, result.contentKey, { videoId, kind, keyId });
      result.contentKey.fill(0);
      await saveHlsArtifact(
        db,
        videoId,
        kind,
        {
          status: 'ready',
          keyId,
          wrappedKey: { key_ciphertext: wrapped.keyCiphertext.toString('base64'), key_nonce: wrapped.keyNonce.toString('base64'), key_wrap_algorithm: wrapped.keyWrapAlgorithm, master_key_id: wrapped.masterKeyId },
          ivHex: result.ivHex,
          playlistRelativePath: relative(paths.protectedMediaRoot, result.playlistPath),
          segmentDirectoryRelativePath: relative(paths.protectedMediaRoot, outputDir),
          segmentCount: result.segmentCount,
          sourceSha256: sourceSha,
        },
        nowIso(),
      );
      if (existing && existing.key_id !== keyId) await removeQuietly(join(root, 'hls', video.uuid, existing.key_id));
      await finishHistory(db, historyId, { status: 'succeeded', output: { kind, key_id: keyId, segment_count: result.segmentCount, segment_seconds: result.segmentDurationsSeconds } }, nowIso());
      return 'materialized';
    } catch (error) {
      await removeQuietly(keyDir);
      await markHlsArtifactFailed(db, videoId, kind, videoFailureDetail(error), nowIso());
      await finishHistory(db, historyId, { status: options.signal?.aborted ? 'cancelled' : 'failed', errorDetail: videoFailureDetail(error) }, nowIso()).catch(() => undefined);
      throw error;
    }
  }

  /**
   * The ready artifact of (video, kind) made from the video's current file, or undefined. An
   * artifact of an earlier processed file is never served: it may show frames or regions a
   * later correction removed.
   */
  async readyArtifact(videoId: number, kind: HlsKind): Promise<HlsArtifact | undefined> {
    return this.#current(await findHlsArtifact(this.deps.db, videoId, kind));
  }

  async artifactByKey(videoId: number, keyId: string): Promise<HlsArtifact | undefined> {
    return this.#current(await findHlsArtifactByKey(this.deps.db, videoId, keyId));
  }

  async #current(artifact: HlsArtifact | undefined): Promise<HlsArtifact | undefined> {
    if (artifact?.status !== 'ready') return undefined;
    const video = await findVideo(this.deps.db, artifact.video_file_id);
    if (!video) return undefined;
    return artifact.source_sha256 === sourceSha256(video, artifact.kind) ? artifact : undefined;
  }

  /** The 16-byte content key of a ready artifact, unwrapped under the keyring; undefined → 404. */
  async contentKey(videoId: number, keyId: string): Promise<Buffer | undefined> {
    const artifact = await this.artifactByKey(videoId, keyId);
    const stored = StoredWrappedKey.safeParse(artifact?.wrapped_key);
    if (!artifact || !stored.success) return undefined;
    const keyring = await this.deps.storage.keyring();
    return unwrapHlsContentKey(
      keyring,
      { keyCiphertext: Buffer.from(stored.data.key_ciphertext, 'base64'), keyNonce: Buffer.from(stored.data.key_nonce, 'base64'), keyWrapAlgorithm: stored.data.key_wrap_algorithm },
      { videoId, kind: artifact.kind, keyId },
    );
  }

  async #valid(videoId: number, artifact: HlsArtifact): Promise<boolean> {
    const dir = join(this.deps.paths.protectedMediaRoot, artifact.segment_directory_relative_path);
    return (await validateHlsDir(dir, hlsUrls(videoId, artifact.key_id).segmentBaseUrl)) !== undefined && artifact.playlist_relative_path.endsWith(HLS_PLAYLIST_NAME);
  }
}

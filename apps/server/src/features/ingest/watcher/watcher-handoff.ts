import { createHash } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import type { Logger } from '../../../log/logger.js';
import { resolveWatcherCenter, type IngestCenter } from '../center-resolution.js';
import { HandoffFailed, type IngestService } from '../ingest.service.js';
import { sniffWatcherFile, SNIFF_BYTES } from '../mime.js';
import type { Provenance } from '../provenance.js';
import { fsyncDirectory } from '../../../shared/durable-fs.js';
import type { UploadRecoveryService } from '../upload-recovery.service.js';
import type { StorageTier } from '../upload-job.js';
import type { DropCandidate } from './drop-dirs.js';
import { MAX_SIDECAR_BYTES, parseSidecar, type PreanonymizedPayload } from './sidecar.js';
import { diskStatus, sameSnapshot, takeSnapshot, type FileSnapshot, type StatFs } from './stability.js';

/** The original's watcher processor for raw videos. */
export const WATCHER_PROCESSOR = 'olympus_cv_1500';

export type HandoffResult =
  | { readonly kind: 'ingested'; readonly uploadJobId: string; readonly created: boolean }
  | { readonly kind: 'quarantined'; readonly uploadJobId: string; readonly reason: string }
  | { readonly kind: 'deferred'; readonly reason: string; readonly problem: boolean }
  | { readonly kind: 'gone' };

const CONTENT_TYPE: Readonly<Record<DropCandidate['fileType'], string>> = {
  report: 'application/pdf',
  // §3.4: the watcher labels every video `video/mp4`, whatever its container.
  video: 'video/mp4',
  document: 'text/plain',
};

const EXPECTED_CONTENT: Readonly<Record<DropCandidate['fileType'], 'pdf' | 'video' | 'text'>> = { report: 'pdf', video: 'video', document: 'text' };
const CONTENT_LABEL_DE = { pdf: 'PDF', video: 'Video', text: 'Text' } as const;

/** Space a copy needs beyond its own size (encryption framing, temp file, margin). */
const COPY_HEADROOM_BYTES = 64 * 1024 * 1024;

export interface WatcherHandoffOptions {
  readonly ingest: IngestService;
  readonly recovery: UploadRecoveryService;
  /** `LX_ANNOTATE_DEFAULT_CENTER`. */
  readonly defaultCenterKey: string;
  readonly logger: Logger;
  readonly statfs?: StatFs;
}

/** A short, stable label for a file in logs; dropped file names can carry patient names. */
export function nameTag(path: string): string {
  return `${createHash('sha256').update(basename(path)).digest('hex').slice(0, 12)}${extname(path).toLowerCase()}`;
}

async function readSmallFile(path: string, maxBytes: number): Promise<string | 'missing' | 'too_large' | 'not_regular'> {
  const snap = await takeSnapshot(path);
  if (snap.kind === 'missing') return 'missing';
  if (snap.kind === 'refused') return 'not_regular';
  if (snap.snapshot.sizeBytes > BigInt(maxBytes)) return 'too_large';
  const handle = await open(path, 'r');
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

async function removeDurably(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await fsyncDirectory(dirname(path));
}

/**
 * Hands one stable drop-directory file to the same ingest core as the API
 * (`ingest_mode=watcher`, `source_system=watcher`, idempotency key
 * `watcher:<sha256>:<mtime_ns>:<size>`). Files that can never be ingested as they
 * are (wrong content, invalid sidecar) go to quarantine with a failed job that
 * carries the reason; passing trouble (disk, center, a file still changing) leaves
 * the file where it is for a later pass.
 */
export class WatcherHandoff {
  readonly #options: WatcherHandoffOptions;

  constructor(options: WatcherHandoffOptions) {
    this.#options = options;
  }

  async center(): Promise<IngestCenter | undefined> {
    const { ingest, defaultCenterKey, logger } = this.#options;
    return resolveWatcherCenter(ingest.deps.centers, defaultCenterKey, (message) => logger.warn(message));
  }

  /**
   * Crash-safe order, so that a kill at any point loses nothing and ingests nothing twice:
   *   1. the file is copied into encrypted storage (temp + fsync + rename + directory fsync),
   *      hashing it on the way, and must still match the snapshot the gate approved;
   *   2. the upload job row is committed (or an existing one reused by the idempotency key,
   *      which is the same on every attempt for an unchanged file);
   *   3. only then is the drop file (and its sidecar) unlinked and the directory fsynced.
   * A crash before 2 leaves the drop file in place (the unowned copy is swept later); a
   * crash between 2 and 3 makes the next pass find the same key, reuse that job and
   * delete the drop file then.
   */
  async handle(candidate: DropCandidate, approved: FileSnapshot): Promise<HandoffResult> {
    const { ingest, recovery, logger } = this.#options;
    const now = await takeSnapshot(candidate.path);
    if (now.kind === 'missing') return { kind: 'gone' };
    if (now.kind === 'refused') return { kind: 'deferred', reason: `refused: ${now.reason}`, problem: true };
    if (!sameSnapshot(now.snapshot, approved)) return { kind: 'deferred', reason: 'file changed after the stability check', problem: false };

    let center = await this.center();
    if (!center) return { kind: 'deferred', reason: `default center "${this.#options.defaultCenterKey}" does not exist (LX_ANNOTATE_DEFAULT_CENTER); run lx-annotate load-base-data or create it`, problem: true };

    let payload: PreanonymizedPayload | undefined;
    let sidecarPresent = false;
    if (candidate.kind === 'preanonymized' && candidate.sidecarPath) {
      const sidecar = await readSmallFile(candidate.sidecarPath, MAX_SIDECAR_BYTES);
      if (sidecar === 'too_large') return this.#refuse(candidate, approved, center, 'Begleitdatei (.json) ist zu groß.', true);
      if (sidecar === 'not_regular') return this.#refuse(candidate, approved, center, 'Begleitdatei (.json) ist keine reguläre Datei.', false);
      if (sidecar === 'missing') {
        if (candidate.fileType === 'document') return this.#refuse(candidate, approved, center, 'Zur Textdatei fehlt die Begleitdatei (.json) mit den Metadaten.', false);
      } else {
        sidecarPresent = true;
        const parsed = parseSidecar(sidecar);
        if (!parsed.ok) return this.#refuse(candidate, approved, center, parsed.reason, true);
        payload = parsed.payload;
        if (payload.center_key) {
          const declared = await ingest.deps.centers.byKey(payload.center_key);
          if (!declared) return this.#refuse(candidate, approved, center, `Unbekannter center_key in der Begleitdatei: ${payload.center_key}`, true);
          center = declared;
        }
      }
    }

    const head = await this.#readHead(candidate.path);
    const content = await sniffWatcherFile(head);
    const expected = EXPECTED_CONTENT[candidate.fileType];
    if (content !== expected) {
      return this.#refuse(candidate, approved, center, `Dateiinhalt ist kein ${CONTENT_LABEL_DE[expected]}, passt also nicht zur Dateiendung ${extname(candidate.path).toLowerCase()}.`, sidecarPresent);
    }

    const disk = await (this.#options.statfs ?? diskStatus)(ingest.deps.paths.storageDir).catch(() => undefined);
    if (disk && disk.freeBytes < Number(approved.sizeBytes) + COPY_HEADROOM_BYTES) {
      return { kind: 'deferred', reason: 'not enough free space on the storage root for this file', problem: true };
    }

    const tier: StorageTier = candidate.kind === 'preanonymized' ? 'upload_preanonymized' : 'upload_watcher';
    const jobId = ingest.newJobId();
    const extension = candidate.fileType === 'document' ? '.txt' : extname(candidate.path).toLowerCase();
    const handle = await open(candidate.path, 'r');
    let stored;
    try {
      const opened = await handle.stat({ bigint: true });
      if (opened.ino !== approved.ino || opened.dev !== approved.dev) return { kind: 'deferred', reason: 'file replaced after the stability check', problem: false };
      stored = await ingest.storeSource(ingest.storedPathFor(tier, jobId, extension), handle.createReadStream({ autoClose: false, start: 0 }));
    } finally {
      await handle.close();
    }
    const after = await takeSnapshot(candidate.path);
    if (after.kind !== 'file' || !sameSnapshot(after.snapshot, approved) || BigInt(stored.sizeBytes) !== approved.sizeBytes) {
      await ingest.discardStored(stored.relativePath);
      return { kind: 'deferred', reason: 'file changed while it was copied', problem: false };
    }

    const provenance: Provenance = {
      ...this.#baseProvenance(candidate, center, tier),
      ...(candidate.kind === 'preanonymized'
        ? { ingest_variant: 'preanonymized' as const, sidecar_path: sidecarPresent ? candidate.sidecarPath : null, sidecar_payload: payload ? { ...payload } : null }
        : {}),
      ...(candidate.kind === 'video' ? { processor_name: WATCHER_PROCESSOR } : {}),
    };
    try {
      const outcome = await ingest.ingest({
        id: jobId,
        stored,
        contentType: CONTENT_TYPE[candidate.fileType],
        centerId: center.id,
        sourceSystem: 'watcher',
        idempotencyKey: `watcher:${stored.sha256Hex}:${approved.mtimeNs}:${approved.sizeBytes}`,
        ingestMode: 'watcher',
        storageTier: tier,
        retentionPolicy: 'delete_after_success',
        originalFilename: basename(candidate.path),
        createdBy: null,
        provenance,
      });
      await this.#removeDropFiles(candidate, sidecarPresent);
      return { kind: 'ingested', uploadJobId: outcome.job.id, created: outcome.created };
    } catch (error) {
      if (!(error instanceof HandoffFailed)) {
        // No job owns the copy; the drop file stays for the next pass.
        if (!(await ingest.find(jobId).catch(() => undefined))) await ingest.discardStored(stored.relativePath);
        throw error;
      }
      // The job exists (failed) with a durable copy: quarantine the copy, so a retry can pick it up.
      await recovery.quarantineStoredSource(error.job);
      await this.#removeDropFiles(candidate, sidecarPresent);
      logger.error({ uploadJobId: error.job.id }, 'processing hand-off failed; stored copy quarantined, job marked error');
      return { kind: 'quarantined', uploadJobId: error.job.id, reason: error.message };
    }
  }

  async #readHead(path: string): Promise<Buffer> {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  #baseProvenance(candidate: DropCandidate, center: IngestCenter, tier: StorageTier): Provenance {
    return {
      entrypoint: 'file_watcher',
      ingest_mode: 'watcher',
      source_system: 'watcher',
      source_center_key: center.centerKey,
      storage_tier: tier,
      retention_policy: 'delete_after_success',
      hub_mode: this.#options.ingest.deps.role,
      resolved_center_key: center.centerKey,
      watched_path: candidate.path,
      file_type: candidate.fileType,
      processing_handoff: 'celery',
    };
  }

  async #removeDropFiles(candidate: DropCandidate, sidecar: boolean): Promise<void> {
    await removeDurably(candidate.path);
    if (sidecar && candidate.sidecarPath) await removeDurably(candidate.sidecarPath);
  }

  /**
   * A file that cannot be ingested as it is: moved (with its sidecar) into quarantine,
   * never overwriting, then recorded as a failed job whose error_detail is the reason.
   */
  async #refuse(candidate: DropCandidate, approved: FileSnapshot, center: IngestCenter, reason: string, withSidecar: boolean): Promise<HandoffResult> {
    const { ingest, recovery } = this.#options;
    const hash = await hashFile(candidate.path);
    const moved = await recovery.quarantineDropFiles(candidate.path, withSidecar ? candidate.sidecarPath : undefined);
    const tier: StorageTier = candidate.kind === 'preanonymized' ? 'upload_preanonymized' : 'upload_watcher';
    const outcome = await ingest.ingest({
      id: ingest.newJobId(),
      stored: undefined,
      contentHash: hash,
      contentType: CONTENT_TYPE[candidate.fileType],
      centerId: center.id,
      sourceSystem: 'watcher',
      idempotencyKey: `watcher:${hash}:${approved.mtimeNs}:${approved.sizeBytes}`,
      ingestMode: 'watcher',
      storageTier: tier,
      retentionPolicy: 'delete_after_success',
      originalFilename: basename(candidate.path),
      createdBy: null,
      failed: { detail: reason },
      provenance: {
        ...this.#baseProvenance(candidate, center, tier),
        ...(candidate.kind === 'preanonymized' ? { ingest_variant: 'preanonymized' as const, sidecar_path: withSidecar ? candidate.sidecarPath : null } : {}),
        quarantined_path: moved.path,
        quarantined_sidecar_path: moved.sidecarPath ?? null,
        quarantined_at: new Date().toISOString(),
      },
    });
    return { kind: 'quarantined', uploadJobId: outcome.job.id, reason };
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

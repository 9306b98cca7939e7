import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { nowIso } from '../../db/index.js';
import { Conflict } from '../../shared/errors.js';
import { allowedCenterIds, type Actor } from '../auth/index.js';
import type { IngestService } from './ingest.service.js';
import { enqueueUploadProcessing } from './processing-handoff.js';
import { mergeProvenance } from './provenance.js';
import { fsyncDirectory, moveNoClobber } from '../../shared/durable-fs.js';
import { describeQuarantined, freeName, listQuarantineDirectory, moveIntoDirectory } from './quarantine.js';
import { TIER_DIRECTORY, type UploadJob } from './upload-job.js';
import { knownStoredFiles, listCleanupEligible, listPendingSince, listQuarantinedJobs, updateUploadJob } from './upload-jobs.repository.js';

/** One entry of `GET runtime/quarantine/`: never a path. */
export interface QuarantineEntry {
  readonly id: string;
  readonly directory_key: 'quarantine';
  readonly filename: string;
  readonly media_type: 'video' | 'report' | 'document' | 'sidecar' | 'unknown';
  readonly size: number;
  readonly quarantined_at: string;
  readonly reason: string;
  readonly upload_job_id: string | null;
  readonly dismissed: boolean;
}

export interface QuarantineListing {
  readonly count: number;
  readonly total_size: number;
  readonly files: QuarantineEntry[];
}

export interface SweepSummary {
  readonly removedTempFiles: number;
  readonly removedOrphans: number;
  readonly reenqueued: number;
  readonly cleanedSources: number;
}

/** Temp files and unowned stored copies older than this are leftovers of a crashed process. */
const LEFTOVER_AFTER_MS = 60 * 60 * 1000;
/** A pending job this old without progress has probably lost its queue entry. */
const PENDING_REENQUEUE_AFTER_MS = 10 * 60 * 1000;

function mediaTypeOf(job: UploadJob): QuarantineEntry['media_type'] {
  const type = job.provenance.file_type;
  if (type) return type;
  if (job.contentType === 'application/pdf') return 'report';
  if (job.contentType.startsWith('video/')) return 'video';
  return 'unknown';
}

/**
 * What happens to failed uploads: their stored source goes to quarantine (and can
 * come back on retry), they can be dismissed, listed per center without paths, and a
 * periodic sweep removes what crashed processes left behind.
 */
export class UploadRecoveryService {
  constructor(private readonly ingest: IngestService) {}

  /**
   * Moves a failed job's stored source (still encrypted) into the quarantine
   * directory. The target is recorded on the job before the move, so after a crash
   * either the recorded path or the stored path holds the file and retry finds it.
   */
  async quarantineStoredSource(job: UploadJob): Promise<UploadJob> {
    const { db, paths } = this.ingest.deps;
    if (job.file === '' || job.storageClass === 'quarantine') return job;
    const storage = await this.ingest.deps.storage.service();
    if (!(await storage.exists(job.file))) return job;
    const source = await storage.resolve(job.file);
    await mkdir(paths.quarantineDir, { recursive: true, mode: 0o750 });
    let current = job;
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const target = await freeName(paths.quarantineDir, basename(job.file));
      const provenance = mergeProvenance(current.provenance, { quarantined_path: target, quarantined_at: nowIso() });
      current = (await updateUploadJob(db, job.id, { provenance, storageClass: 'quarantine' }, nowIso(), ['error', 'lost'])) ?? current;
      if (await moveNoClobber(source, target)) {
        await fsyncDirectory(paths.quarantineDir);
        await fsyncDirectory(dirname(source));
        return current;
      }
    }
    throw new Error(`upload job ${job.id}: no free quarantine name`);
  }

  /** Moves refused watcher files (and their sidecar) into quarantine; returns the new paths. */
  async quarantineDropFiles(source: string, sidecar: string | undefined): Promise<{ path: string; sidecarPath: string | undefined }> {
    const { quarantineDir } = this.ingest.deps.paths;
    const path = await moveIntoDirectory(source, quarantineDir, basename(source));
    const sidecarPath = sidecar ? await moveIntoDirectory(sidecar, quarantineDir, basename(sidecar)).catch(() => undefined) : undefined;
    return { path, sidecarPath };
  }

  /**
   * Retry of a failed job. An encrypted stored copy in quarantine moves back into
   * storage and the job is processed again. A refused watcher file (never stored)
   * goes back into its drop directory, where the watcher ingests it as a new job.
   */
  async retry(actor: Actor, id: string): Promise<{ job: UploadJob; requeued: boolean }> {
    const job = await this.ingest.findVisible(actor, id);
    if (job.status !== 'error' && job.status !== 'lost') throw new Conflict('Nur fehlgeschlagene Uploads können erneut verarbeitet werden.');
    const storage = await this.ingest.deps.storage.service();
    const quarantined = job.provenance.quarantined_path ?? undefined;
    const quarantinedInfo = quarantined ? await describeQuarantined(quarantined) : undefined;

    if (job.file === '' || (!quarantinedInfo?.encrypted && quarantinedInfo)) {
      if (!quarantined || !quarantinedInfo) throw new Conflict('Die Quelldatei ist nicht mehr vorhanden; bitte erneut hochladen.');
      const dropDir = dirname(job.provenance.watched_path ?? '');
      const allowed = Object.values(this.ingest.deps.paths.importDirs);
      if (!allowed.includes(dropDir)) throw new Conflict('Der ursprüngliche Importordner ist unbekannt; die Datei bleibt in Quarantäne.');
      const back = await moveIntoDirectory(quarantined, dropDir, basename(job.provenance.watched_path ?? quarantined));
      const sidecar = job.provenance.quarantined_sidecar_path;
      if (sidecar && job.provenance.sidecar_path) await moveIntoDirectory(sidecar, dropDir, basename(job.provenance.sidecar_path)).catch(() => undefined);
      const provenance = mergeProvenance(job.provenance, { retried_at: nowIso(), retried_by: actor.username, retry_count: (job.provenance.retry_count ?? 0) + 1, quarantined_path: null, quarantined_sidecar_path: null, watched_path: back });
      const updated = (await updateUploadJob(this.ingest.deps.db, job.id, { provenance, dismissedAt: nowIso(), dismissedBy: actor.username }, nowIso())) ?? job;
      return { job: updated, requeued: false };
    }

    if (!(await storage.exists(job.file))) {
      if (!quarantined || !quarantinedInfo) throw new Conflict('Die Quelldatei ist nicht mehr vorhanden; bitte erneut hochladen.');
      const target = await storage.resolve(job.file);
      await mkdir(dirname(target), { recursive: true, mode: 0o750 });
      if (!(await moveNoClobber(quarantined, target))) throw new Conflict('Am Speicherort liegt bereits eine andere Datei; Wiederholung nicht möglich.');
      await fsyncDirectory(dirname(target));
      await fsyncDirectory(dirname(quarantined));
    }
    const provenance = mergeProvenance(job.provenance, { retried_at: nowIso(), retried_by: actor.username, retry_count: (job.provenance.retry_count ?? 0) + 1, quarantined_path: null, quarantined_at: null });
    let reopened: UploadJob;
    try {
      reopened = await this.ingest.transition(job, { kind: 'reopen' }, provenance);
    } catch (error) {
      if ((error as { code?: string }).code === '23505' || /UNIQUE constraint failed/i.test(String((error as Error).message))) {
        await this.quarantineStoredSource({ ...job, storageClass: 'ingest' });
        throw new Conflict('Ein neuerer Upload derselben Datei ist bereits aktiv; dieser wird nicht erneut verarbeitet.');
      }
      throw error;
    }
    await this.ingest.deps.audit.append({ action: 'ingest.upload_job_retried', objectType: 'upload_job', objectPk: job.id, actor: actor.username, centerId: job.sourceCenterId, data: { previous_status: job.status } });
    await this.ingest.handOff(reopened);
    return { job: reopened, requeued: true };
  }

  /** A failed job acknowledged: it leaves the warning lists; row and quarantined file stay. */
  async dismiss(actor: Actor, id: string): Promise<UploadJob> {
    const job = await this.ingest.findVisible(actor, id);
    if (job.status !== 'error' && job.status !== 'lost') throw new Conflict('Nur fehlgeschlagene Uploads können verworfen werden.');
    if (job.dismissedAt !== null) return job;
    const updated = await updateUploadJob(this.ingest.deps.db, job.id, { dismissedAt: nowIso(), dismissedBy: actor.username }, nowIso(), ['error', 'lost']);
    if (!updated) throw new Conflict('Der Upload wurde inzwischen erneut gestartet.');
    await this.ingest.deps.audit.append({ action: 'ingest.upload_job_dismissed', objectType: 'upload_job', objectPk: job.id, actor: actor.username, centerId: job.sourceCenterId, data: { status: job.status } });
    return updated;
  }

  /**
   * The quarantine as a center may see it: files of its failed jobs (a job's source
   * and sidecar), named by the job's original file name. Files that no job claims
   * are shown only to unrestricted users. No entry carries a path.
   */
  async list(actor: Actor): Promise<QuarantineListing> {
    const scope = allowedCenterIds(actor);
    const jobs = await listQuarantinedJobs(this.ingest.deps.db, scope === 'all' ? 'all' : scope);
    const files: QuarantineEntry[] = [];
    const claimed = new Set<string>();
    for (const job of jobs) {
      for (const [path, sidecar] of [
        [job.provenance.quarantined_path, false],
        [job.provenance.quarantined_sidecar_path, true],
      ] as const) {
        if (!path) continue;
        claimed.add(path);
        const info = await describeQuarantined(path);
        if (!info) continue;
        files.push({
          id: sidecar ? `${job.id}:sidecar` : job.id,
          directory_key: 'quarantine',
          filename: sidecar ? basename(job.provenance.sidecar_path ?? info.name) : job.originalFilename || info.name,
          media_type: sidecar ? 'sidecar' : mediaTypeOf(job),
          size: info.sizeBytes,
          quarantined_at: job.provenance.quarantined_at ?? info.modifiedAt,
          reason: job.errorDetail,
          upload_job_id: job.id,
          dismissed: job.dismissedAt !== null,
        });
      }
    }
    if (scope === 'all') {
      for (const info of await listQuarantineDirectory(this.ingest.deps.paths.quarantineDir)) {
        if (claimed.has(info.path)) continue;
        files.push({
          id: `file:${createHash('sha256').update(info.name).digest('hex').slice(0, 16)}`,
          directory_key: 'quarantine',
          filename: info.name,
          media_type: 'unknown',
          size: info.sizeBytes,
          quarantined_at: info.modifiedAt,
          reason: '',
          upload_job_id: null,
          dismissed: false,
        });
      }
    }
    return { count: files.length, total_size: files.reduce((sum, f) => sum + f.size, 0), files };
  }

  /**
   * Periodic repair, safe to run any time: removes temp files and unowned stored
   * copies that crashed processes left under `upload_jobs/`, re-enqueues pending jobs
   * whose hand-off was lost, and deletes sources of completed `delete_after_success` jobs.
   */
  async sweep(nowMs = Date.now()): Promise<SweepSummary> {
    const { db, logger } = this.ingest.deps;
    const storage = await this.ingest.deps.storage.service();
    let removedTempFiles = 0;
    let removedOrphans = 0;
    for (const tierDir of Object.values(TIER_DIRECTORY)) {
      const dir = join(storage.root, 'upload_jobs', tierDir);
      const names = await readdir(dir).catch(() => [] as string[]);
      const candidates: string[] = [];
      for (const name of names) {
        const info = await lstat(join(dir, name)).catch(() => undefined);
        if (!info?.isFile() || nowMs - info.mtimeMs < LEFTOVER_AFTER_MS) continue;
        if (name.startsWith('.') && name.endsWith('.tmp')) {
          if (await storage.delete(`upload_jobs/${tierDir}/${name}`).catch(() => false)) removedTempFiles += 1;
        } else candidates.push(`upload_jobs/${tierDir}/${name}`);
      }
      const known = await knownStoredFiles(db, candidates);
      for (const file of candidates) {
        if (known.has(file)) continue;
        if (await storage.delete(file).catch(() => false)) removedOrphans += 1;
      }
    }
    let reenqueued = 0;
    for (const job of await listPendingSince(db, new Date(nowMs - PENDING_REENQUEUE_AFTER_MS).toISOString(), 200)) {
      await enqueueUploadProcessing(this.ingest.deps.queue(), job.id, job.sourceCenterId).then(
        () => (reenqueued += 1),
        (error: unknown) => logger.warn({ uploadJobId: job.id, err: (error as Error).message }, 're-enqueue failed'),
      );
    }
    let cleanedSources = 0;
    for (const job of await listCleanupEligible(db, 200)) {
      if (await this.cleanupSource(job)) cleanedSources += 1;
    }
    return { removedTempFiles, removedOrphans, reenqueued, cleanedSources };
  }

  /** Deletes the stored source of a completed `delete_after_success` job and records it. */
  async cleanupSource(job: UploadJob): Promise<boolean> {
    if (job.status !== 'anonymized' || job.cleanupStatus !== 'eligible') return false;
    if (job.sourceFileDeleteEligibleAt !== null && Date.parse(job.sourceFileDeleteEligibleAt) > this.ingest.now().getTime()) return false;
    const storage = await this.ingest.deps.storage.service();
    if (job.file !== '') await storage.delete(job.file);
    await this.ingest.transition(job, { kind: 'cleanup_completed' });
    return true;
  }
}

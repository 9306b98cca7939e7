import type { QueuedJobResponse, Segment, SegmentValidateBulkRequest, SegmentValidateBulkResponse, SegmentValidateRequest, ValidationStatusResponse } from '@lx/contracts';
import type { FrameIndex } from '../../adapters/ffmpeg/index.js';
import { nowIso, type Db } from '../../db/index.js';
import type { JobQueue } from '../../jobs/index.js';
import { Conflict, Invalid } from '../../shared/errors.js';
import type { AuditLedger } from '../audit/index.js';
import { annotatorOf, type Actor } from '../auth/index.js';
import { findPostValidation, setPostValidation } from './post-validation.repository.js';
import { endSeconds, startSeconds } from './segment-frames.js';
import { segmentToWire } from './segment-wire.js';
import { POST_VALIDATION_REBUILD_JOB, POST_VALIDATION_RETRY } from './segments.job-names.js';
import { countSegments, findSegment, listSegments, setSegmentFlags, updateSegment, validatedAnnotators, type Executor, type SegmentRecord } from './segments.repository.js';
import type { SegmentsService } from './segments.service.js';

export interface SegmentValidationDeps {
  readonly db: Db;
  readonly segments: SegmentsService;
  readonly queue: () => JobQueue;
  readonly audit: AuditLedger;
}

/**
 * Segment validation and the post-validation rebuild it triggers: validating marks manual
 * segments read-only and queues the job that blackens validated `outside` segments in the
 * processed video; lifting the validation ("Segmente bearbeiten") reopens them.
 */
export class SegmentValidationService {
  constructor(private readonly deps: SegmentValidationDeps) {}

  async validateOne(actor: Actor, videoId: number, segmentId: number, body: SegmentValidateRequest): Promise<Segment> {
    const { index } = await this.deps.segments.videoFor(actor, videoId);
    const segment = await this.deps.db.transaction().execute(async (trx) => {
      const current = await findSegment(trx, videoId, segmentId);
      if (!current) throw new Invalid(`Segment ${segmentId} gehört nicht zu diesem Video.`);
      await this.#setValidated(trx, actor, videoId, [current], body, nowIso());
      return (await findSegment(trx, videoId, segmentId))!;
    });
    await this.#audit(actor, videoId, body.is_validated ? 'segments.validated' : 'segments.reopened', { segment_ids: [segmentId] });
    return segmentToWire(segment, index);
  }

  /** "Alle Segmente validieren": validates (or reopens) the given or all manual segments, then queues the rebuild. */
  async validateBulk(actor: Actor, videoId: number, body: SegmentValidateBulkRequest): Promise<SegmentValidateBulkResponse> {
    const { video, index } = await this.deps.segments.videoFor(actor, videoId);
    const requested = body.segment_ids ?? body.segments?.map((s) => s.id);
    const now = nowIso();
    const updated = await this.deps.db.transaction().execute(async (trx) => {
      const segments = await listSegments(trx, videoId, { origin: 'manual', ...(requested ? { ids: requested } : {}) });
      if (requested && segments.length !== new Set(requested).size) throw new Invalid('Einige Segmente gehören nicht zu diesem Video oder sind KI-Vorhersagen.');
      for (const shown of body.segments ?? []) assertUnchanged(segments.find((s) => s.id === shown.id)!, shown, index);
      await this.#setValidated(trx, actor, videoId, segments, body, now);
      const counts = await countSegments(trx, videoId);
      await setSegmentFlags(trx, videoId, { segment_annotations_validated: body.is_validated && counts.validated === counts.total && counts.total > 0 }, now);
      if (body.is_validated) await setPostValidation(trx, videoId, 'cleanup_queued', { detail: '', only_validated: true, job_id: null, requested_by: annotatorOf(actor) }, now);
      else await setPostValidation(trx, videoId, 'not_started', { detail: 'Validierung aufgehoben.', job_id: null }, now);
      return segments.length;
    });
    let jobId: string | null = null;
    if (body.is_validated) jobId = await this.#dispatchRebuild(videoId, video.center_id);
    await this.#audit(actor, videoId, body.is_validated ? 'segments.validated' : 'segments.reopened', { segment_count: updated, job_id: jobId });
    return {
      message: body.is_validated ? `${updated} Segmente validiert; Außerhalb-Segmente werden geschwärzt.` : `Validierung von ${updated} Segmenten aufgehoben.`,
      updated_count: updated,
      job_id: jobId,
      segment_annotation_status: await this.#status(videoId),
    };
  }

  async status(actor: Actor, videoId: number): Promise<ValidationStatusResponse> {
    await this.deps.segments.videoFor(actor, videoId);
    return this.#status(videoId);
  }

  /** "Außerhalb-Segmente schwärzen": re-dispatches only the blackening (202). */
  async blackenOutside(actor: Actor, videoId: number, onlyValidated: boolean): Promise<QueuedJobResponse> {
    const { video } = await this.deps.segments.videoFor(actor, videoId);
    const current = await findPostValidation(this.deps.db, videoId);
    if (current?.status === 'cleanup_running') throw new Conflict('Die Schwärzung läuft bereits; bitte warten.');
    await setPostValidation(this.deps.db, videoId, 'cleanup_queued', { detail: '', only_validated: onlyValidated, job_id: null, requested_by: annotatorOf(actor) }, nowIso());
    const jobId = await this.#dispatchRebuild(videoId, video.center_id);
    await this.#audit(actor, videoId, 'segments.blacken_outside_requested', { only_validated: onlyValidated, job_id: jobId });
    return { message: 'Schwärzung der Außerhalb-Segmente wurde eingeplant.', job_id: jobId, status: 'cleanup_queued' };
  }

  async #setValidated(db: Executor, actor: Actor, videoId: number, segments: readonly SegmentRecord[], body: SegmentValidateRequest, now: string): Promise<void> {
    for (const s of segments) {
      if (s.segment_origin !== 'manual') throw new Conflict('KI-Vorhersagen werden nicht validiert; bitte zuerst als manuelle Segmente übernehmen.');
      const ok = await updateSegment(
        db,
        videoId,
        s.id,
        s.version,
        {
          is_validated: body.is_validated,
          validated_by: body.is_validated ? (body.annotator ?? annotatorOf(actor)) : null,
          validated_at: body.is_validated ? now : null,
          ...(body.notes !== undefined ? { notes: body.notes } : {}),
          ...(body.information_source_name ? { source_name: body.information_source_name } : {}),
        },
        now,
      );
      if (!ok) throw new Conflict(`Segment ${s.id} wurde inzwischen geändert; bitte neu laden.`);
    }
  }

  /** Enqueues the rebuild after the status is committed; an enqueue failure is shown as `cleanup_failed`. */
  async #dispatchRebuild(videoId: number, centerId: number): Promise<string> {
    try {
      const jobId = await this.deps.queue().enqueue('ffmpeg_media', POST_VALIDATION_REBUILD_JOB, { videoId }, { retry: POST_VALIDATION_RETRY, centerId, dedupeKey: `post-validation:${videoId}` });
      await setPostValidation(this.deps.db, videoId, 'cleanup_queued', { job_id: jobId }, nowIso());
      return jobId;
    } catch (error) {
      await setPostValidation(this.deps.db, videoId, 'cleanup_failed', { detail: 'Der Auftrag zum Schwärzen konnte nicht eingeplant werden.' }, nowIso());
      throw error;
    }
  }

  async #status(videoId: number): Promise<ValidationStatusResponse> {
    const [row, counts, annotators, flags] = [
      await findPostValidation(this.deps.db, videoId),
      await countSegments(this.deps.db, videoId),
      await validatedAnnotators(this.deps.db, videoId),
      await this.deps.db.selectFrom('video_states').select(['segment_annotations_validated', 'outside_segments_removed']).where('video_file_id', '=', videoId).executeTakeFirst(),
    ];
    const status = row?.status ?? 'not_started';
    return {
      video_id: videoId,
      status,
      post_validation_rebuild: status,
      detail: row?.detail ?? '',
      segment_annotations_validated: Boolean(Number(flags?.segment_annotations_validated ?? 0)),
      outside_segments_removed: Boolean(Number(flags?.outside_segments_removed ?? 0)),
      segments_total: counts.total,
      segments_validated: counts.validated,
      validated_annotators: annotators,
      blackened_frames: row?.blackened_frames ?? 0,
      job_id: row?.job_id ?? null,
      updated_at: row?.updated_at ?? null,
    };
  }

  async #audit(actor: Actor, videoId: number, action: string, data: Record<string, unknown>): Promise<void> {
    const video = await this.deps.db.selectFrom('video_files').select('center_id').where('id', '=', videoId).executeTakeFirst();
    await this.deps.audit.append({ action, objectType: 'video_file', objectPk: String(videoId), actor: actor.username, centerId: video ? Number(video.center_id) : null, data });
  }
}

/** The client validated what it showed: bounds that differ from the stored frames by more than half a frame mean a concurrent edit. */
function assertUnchanged(stored: SegmentRecord, shown: { id: number; start_time?: number; end_time?: number }, index: FrameIndex): void {
  const tolerance = index.typicalFrameSeconds / 2;
  const startOk = shown.start_time === undefined || Math.abs(startSeconds(index, stored.start_frame_number) - shown.start_time) <= tolerance;
  const endOk = shown.end_time === undefined || Math.abs(endSeconds(index, stored.end_frame_number) - shown.end_time) <= tolerance;
  if (!startOk || !endOk) throw new Conflict(`Segment ${shown.id} wurde inzwischen geändert; bitte neu laden und erneut validieren.`);
}

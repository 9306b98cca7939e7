import type { Segment, SegmentBulkRequest, SegmentBulkResponse, SegmentCreate, SegmentListQuery, SegmentPatch } from '@lx/contracts';
import type { FrameIndex } from '../../adapters/ffmpeg/index.js';
import { nowIso, type Db } from '../../db/index.js';
import { Conflict, Invalid, NotFound } from '../../shared/errors.js';
import { annotatorOf, assertCenterAccess, type Actor } from '../auth/index.js';
import { findVideo, type VideoRecord } from '../media/index.js';
import { assertMinimumDuration, resolveBounds, type BoundsInput } from './segment-frames.js';
import { segmentToWire } from './segment-wire.js';
import {
  deleteSegment,
  findLabel,
  findSegment,
  insertSegment,
  listSegments,
  MANUAL_SOURCE,
  setSegmentFlags,
  updateSegment,
  type Executor,
  type LabelRecord,
  type SegmentChanges,
  type SegmentRecord,
} from './segments.repository.js';
import type { VideoFrameIndexes } from './video-frame-index.js';

export interface SegmentsDeps {
  readonly db: Db;
  readonly frameIndexes: VideoFrameIndexes;
  /** `LABEL_VIDEO_SEGMENT_MIN_DURATION_S_FOR_ANNOTATION`. */
  readonly minDurationSeconds: number;
}

/** A video the actor may see, with its frame index. */
export interface VideoContext {
  readonly video: VideoRecord;
  readonly index: FrameIndex;
}

/**
 * Manual segments of a video: list, create, edit and delete, singly or in one bulk
 * transaction. Prediction segments are read-only here; validated segments are read-only
 * until their validation is lifted. Every update carries the version the client edited.
 */
export class SegmentsService {
  constructor(private readonly deps: SegmentsDeps) {}

  /** Loads the video (404), checks the actor's centers (403) and the frame index. */
  async videoFor(actor: Actor, videoId: number): Promise<VideoContext> {
    const video = await findVideo(this.deps.db, videoId);
    if (!video) throw new NotFound('Video nicht gefunden.');
    assertCenterAccess(actor, video.center_id);
    return { video, index: await this.deps.frameIndexes.forVideo(video) };
  }

  async list(actor: Actor, videoId: number, query: SegmentListQuery): Promise<Segment[]> {
    const { index } = await this.videoFor(actor, videoId);
    const origin = query.source_kind === 'all' ? undefined : query.source_kind;
    const rows = await listSegments(this.deps.db, videoId, { origin, labelName: query.label, annotator: query.annotator });
    return rows.map((s) => segmentToWire(s, index));
  }

  async get(actor: Actor, videoId: number, segmentId: number): Promise<Segment> {
    const { index } = await this.videoFor(actor, videoId);
    return segmentToWire(await this.#existing(this.deps.db, videoId, segmentId), index);
  }

  async create(actor: Actor, videoId: number, body: SegmentCreate): Promise<Segment> {
    const { index } = await this.videoFor(actor, videoId);
    const segment = await this.deps.db.transaction().execute(async (trx) => {
      const id = await this.#create(trx, actor, videoId, index, body, nowIso());
      return this.#existing(trx, videoId, id);
    });
    return segmentToWire(segment, index);
  }

  async update(actor: Actor, videoId: number, segmentId: number, body: SegmentPatch): Promise<Segment> {
    const { index } = await this.videoFor(actor, videoId);
    const segment = await this.deps.db.transaction().execute(async (trx) => {
      await this.#update(trx, videoId, index, { ...body, id: segmentId }, nowIso());
      return this.#existing(trx, videoId, segmentId);
    });
    return segmentToWire(segment, index);
  }

  async remove(actor: Actor, videoId: number, segmentId: number, expectedVersion?: number): Promise<void> {
    await this.videoFor(actor, videoId);
    await this.deps.db.transaction().execute((trx) => this.#delete(trx, videoId, segmentId, expectedVersion));
  }

  /** Creates, updates and deletes in ONE transaction: either everything is saved or nothing. */
  async bulk(actor: Actor, videoId: number, body: SegmentBulkRequest): Promise<SegmentBulkResponse> {
    const { index } = await this.videoFor(actor, videoId);
    const ids = [...body.deletes, ...body.updates.map((u) => u.id)];
    if (new Set(ids).size !== ids.length) throw new Invalid('Ein Segment darf in einer Sammeländerung nur einmal geändert oder gelöscht werden.');
    const clientIds = body.creates.map((c) => String(c.client_id));
    if (new Set(clientIds).size !== clientIds.length) throw new Invalid('Die client_id jeder Neuanlage muss eindeutig sein.');
    const now = nowIso();
    const result = await this.deps.db.transaction().execute(async (trx) => {
      for (const id of body.deletes) await this.#delete(trx, videoId, id, undefined);
      for (const update of body.updates) await this.#update(trx, videoId, index, update, now);
      const created: { client_id: string | number; id: number }[] = [];
      for (const create of body.creates) {
        created.push({ client_id: create.client_id, id: await this.#create(trx, actor, videoId, index, { ...create, annotator: create.annotator ?? body.annotator }, now) });
      }
      const changed = await listSegments(trx, videoId, { ids: [...created.map((c) => c.id), ...body.updates.map((u) => u.id)] });
      const byId = new Map(changed.map((s) => [s.id, s]));
      return {
        created: created.map((c) => ({ client_id: c.client_id, segment: segmentToWire(byId.get(c.id)!, index) })),
        updated: body.updates.map((u) => segmentToWire(byId.get(u.id)!, index)),
        deleted: [...body.deletes],
      };
    });
    return result;
  }

  async #existing(db: Executor, videoId: number, segmentId: number): Promise<SegmentRecord> {
    const segment = await findSegment(db, videoId, segmentId);
    if (!segment) throw new NotFound(`Segment ${segmentId} nicht gefunden.`);
    return segment;
  }

  async #label(db: Executor, by: { label_id?: number; label_name?: string }): Promise<LabelRecord | undefined> {
    if (by.label_id === undefined && by.label_name === undefined) return undefined;
    const label = await findLabel(db, { id: by.label_id, name: by.label_id === undefined ? by.label_name : undefined });
    if (!label) throw new Invalid(`Unbekanntes Label ${by.label_id ?? `„${by.label_name}“`}.`);
    return label;
  }

  async #create(db: Executor, actor: Actor, videoId: number, index: FrameIndex, body: SegmentCreate, now: string): Promise<number> {
    const label = await this.#label(db, body);
    if (!label) throw new Invalid('Das Label des Segments fehlt (label_id oder label_name).');
    const bounds = resolveBounds(index, body);
    assertMinimumDuration(index, bounds, this.deps.minDurationSeconds);
    const id = await insertSegment(
      db,
      {
        videoId,
        labelId: label.id,
        startFrame: bounds.startFrame,
        endFrame: bounds.endFrame,
        sourceName: MANUAL_SOURCE,
        origin: 'manual',
        predictionMetaId: null,
        annotator: body.annotator ?? annotatorOf(actor),
        createdBy: annotatorOf(actor),
        exportSegment: body.export_segment ?? true,
        notes: body.notes ?? '',
      },
      now,
    );
    await setSegmentFlags(db, videoId, { segment_annotations_created: true, lvs_created: true }, now);
    return id;
  }

  async #editable(db: Executor, videoId: number, segmentId: number, expectedVersion: number | undefined): Promise<SegmentRecord> {
    const segment = await this.#existing(db, videoId, segmentId);
    if (segment.segment_origin !== 'manual') throw new Conflict('KI-Vorhersagen sind schreibgeschützt; bitte zuerst als manuelle Segmente übernehmen.');
    if (segment.is_validated) throw new Conflict(`Segment ${segmentId} ist validiert und schreibgeschützt; zum Bearbeiten bitte zuerst „Segmente bearbeiten“ wählen.`);
    if (expectedVersion !== undefined && expectedVersion !== segment.version) throw staleSegment(segmentId, segment.version, expectedVersion);
    return segment;
  }

  async #update(db: Executor, videoId: number, index: FrameIndex, body: SegmentPatch & { id: number }, now: string): Promise<void> {
    const segment = await this.#editable(db, videoId, body.id, body.version);
    const changes: SegmentChanges = {};
    const label = await this.#label(db, body);
    if (label) changes.label_id = label.id;
    const boundsInput: BoundsInput = body;
    if (body.start_frame_number !== undefined || body.end_frame_number !== undefined || body.start_time !== undefined || body.end_time !== undefined) {
      const bounds = resolveBounds(index, boundsInput, { startFrame: segment.start_frame_number, endFrame: segment.end_frame_number });
      assertMinimumDuration(index, bounds, this.deps.minDurationSeconds);
      changes.start_frame_number = bounds.startFrame;
      changes.end_frame_number = bounds.endFrame;
    }
    if (body.export_segment !== undefined) changes.export_segment = body.export_segment;
    if (body.notes !== undefined) changes.notes = body.notes;
    if (!(await updateSegment(db, videoId, body.id, segment.version, changes, now))) {
      const current = await this.#existing(db, videoId, body.id);
      throw staleSegment(body.id, current.version, segment.version);
    }
  }

  async #delete(db: Executor, videoId: number, segmentId: number, expectedVersion: number | undefined): Promise<void> {
    const segment = await this.#editable(db, videoId, segmentId, expectedVersion);
    if (!(await deleteSegment(db, videoId, segmentId, segment.version))) throw staleSegment(segmentId, segment.version + 1, segment.version);
  }
}

function staleSegment(id: number, current: number, expected: number): Conflict {
  return new Conflict(`Segment ${id} wurde inzwischen geändert (Version ${current} statt ${expected}). Bitte neu laden oder Ihre Änderung erneut speichern.`, { segment_id: id, current_version: current });
}

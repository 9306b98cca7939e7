import {
  BlackenOutsideRequest,
  ImportPredictionsRequest,
  ImportPredictionsResponse,
  LabelListResponse,
  LabelSetListResponse,
  PredictionModelListResponse,
  QueuedJobResponse,
  RerunPredictionsRequest,
  Segment,
  SegmentBulkRequest,
  SegmentBulkResponse,
  SegmentCreate,
  SegmentListQuery,
  SegmentPatch,
  SegmentValidateBulkRequest,
  SegmentValidateBulkResponse,
  SegmentValidateRequest,
  ValidationStatusResponse,
} from '@lx/contracts';
import { z } from 'zod';
import type { App } from '../../http/app.js';
import { actorOf } from '../auth/index.js';
import type { ModelRegistry } from './model-registry.js';
import type { PredictionsService } from './predictions.service.js';
import type { SegmentValidationService } from './segment-validation.service.js';
import type { SegmentsService } from './segments.service.js';
import { listLabels, listLabelSets } from './segments.repository.js';
import type { Db } from '../../db/index.js';

/** The original mounts every route under `/endoreg-api/` (canonical) and `/api/` (alias). */
const PREFIXES = ['/api/', '/endoreg-api/'] as const;
const VideoParams = z.object({ pk: z.coerce.number().int().positive() });
const SegmentParams = VideoParams.extend({ sid: z.coerce.number().int().positive() });
const DeleteQuery = z.object({ version: z.coerce.number().int().positive().optional() });
const label = (l: { id: number; name: string; display_name: string }) => ({ id: l.id, name: l.name, display_name: l.display_name });

export interface SegmentRouteDeps {
  readonly db: Db;
  readonly segments: SegmentsService;
  readonly validation: SegmentValidationService;
  readonly predictions: PredictionsService;
  readonly models: ModelRegistry;
}

/**
 * §5.7 video segments and labels under both prefixes. Segment routes are not in the original's
 * resource map (reference-contracts §11), so they use its method fallback `data:read|write`;
 * every route is center-scoped through the video's center.
 */
export function registerSegmentRoutes(app: App, deps: SegmentRouteDeps): void {
  const data = { resource: 'data' };
  for (const prefix of PREFIXES) {
    const base = `${prefix}media/videos/:pk/segments/`;
    app.get(base, { config: data, schema: { params: VideoParams, querystring: SegmentListQuery, response: { 200: z.array(Segment) } } }, (req) =>
      deps.segments.list(actorOf(req), req.params.pk, req.query),
    );
    app.post(base, { config: data, schema: { params: VideoParams, body: SegmentCreate, response: { 201: Segment } } }, async (req, reply) =>
      reply.code(201).send(await deps.segments.create(actorOf(req), req.params.pk, req.body)),
    );
    for (const method of ['post', 'patch'] as const) {
      app[method](`${base}bulk/`, { config: data, schema: { params: VideoParams, body: SegmentBulkRequest, response: { 200: SegmentBulkResponse } } }, (req) =>
        deps.segments.bulk(actorOf(req), req.params.pk, req.body),
      );
    }
    app.post(`${base}import-predictions/`, { config: data, schema: { params: VideoParams, body: ImportPredictionsRequest, response: { 200: ImportPredictionsResponse } } }, (req) =>
      deps.predictions.importPredictions(actorOf(req), req.params.pk, req.body ?? {}),
    );
    app.post(`${base}rerun-predictions/`, { config: data, schema: { params: VideoParams, body: RerunPredictionsRequest, response: { 202: QueuedJobResponse } } }, async (req, reply) =>
      reply.code(202).send(await deps.predictions.requestRerun(actorOf(req), req.params.pk, req.body)),
    );
    app.post(`${base}validate-bulk/`, { config: data, schema: { params: VideoParams, body: SegmentValidateBulkRequest, response: { 200: SegmentValidateBulkResponse } } }, (req) =>
      deps.validation.validateBulk(actorOf(req), req.params.pk, req.body),
    );
    app.get(`${base}validation-status/`, { config: data, schema: { params: VideoParams, response: { 200: ValidationStatusResponse } } }, (req) =>
      deps.validation.status(actorOf(req), req.params.pk),
    );
    app.post(`${base}blacken-outside/`, { config: data, schema: { params: VideoParams, body: BlackenOutsideRequest, response: { 202: QueuedJobResponse } } }, async (req, reply) =>
      reply.code(202).send(await deps.validation.blackenOutside(actorOf(req), req.params.pk, req.body.only_validated)),
    );
    app.get(`${base}:sid/`, { config: data, schema: { params: SegmentParams, response: { 200: Segment } } }, (req) => deps.segments.get(actorOf(req), req.params.pk, req.params.sid));
    app.patch(`${base}:sid/`, { config: data, schema: { params: SegmentParams, body: SegmentPatch, response: { 200: Segment } } }, (req) =>
      deps.segments.update(actorOf(req), req.params.pk, req.params.sid, req.body),
    );
    app.delete(`${base}:sid/`, { config: data, schema: { params: SegmentParams, querystring: DeleteQuery } }, async (req, reply) => {
      await deps.segments.remove(actorOf(req), req.params.pk, req.params.sid, req.query.version);
      return reply.code(204).send();
    });
    app.post(`${base}:sid/validate/`, { config: data, schema: { params: SegmentParams, body: SegmentValidateRequest, response: { 200: Segment } } }, (req) =>
      deps.validation.validateOne(actorOf(req), req.params.pk, req.params.sid, req.body ?? { is_validated: true }),
    );

    app.get(`${prefix}media/videos/labels/list/`, { config: data, schema: { response: { 200: LabelListResponse } } }, async () => (await listLabels(deps.db)).map(label));
    app.get(`${prefix}media/videos/label-sets/list/`, { config: data, schema: { response: { 200: LabelSetListResponse } } }, async () =>
      (await listLabelSets(deps.db)).map((s) => ({ ...s, labels: s.labels.map(label) })),
    );
    app.get(`${prefix}media/videos/prediction-models/list/`, { config: data, schema: { response: { 200: PredictionModelListResponse } } }, () => deps.models.list());
  }
}

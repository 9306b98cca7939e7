import {
  AnonymizationOverviewResponse,
  AnonymizationStartResponse,
  AnonymizationStatusResponse,
  ClearLocksResponse,
  CurrentItemResponse,
  DocumentTypesResponse,
  HasRawResponse,
  MediaTypeQuery,
  ResetStatusResponse,
  ValidatePayload,
  ValidateResponse,
  type InvalidDocumentTypeResponse,
} from '@lx/contracts';
import { z } from 'zod';
import type { App } from '../../../http/app.js';
import { actorOf } from '../../auth/index.js';
import type { MediaType } from './media-resolver.js';
import { PollLimiter } from './poll-limiter.js';
import { InvalidDocumentType, type ValidationService } from './validation.service.js';
import type { AnonymizationWorkflowService } from './workflow.service.js';

const PREFIXES = ['/api/', '/endoreg-api/'] as const;
const IdParams = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });
const typeOf = (q: z.infer<typeof MediaTypeQuery>): MediaType | undefined => q.type ?? q.file_type ?? q.media_type;
const config = { resource: 'anonymization' } as const;

export interface AnonymizationRouteDeps {
  readonly workflow: AnonymizationWorkflowService;
  readonly validation: ValidationService;
  readonly pollLimiter?: PollLimiter;
}

/** The anonymization workflow routes of §5.3 under both prefixes; resource `anonymization` (§11). */
export function registerAnonymizationRoutes(app: App, deps: AnonymizationRouteDeps): void {
  const { workflow, validation } = deps;
  const limiter = deps.pollLimiter ?? new PollLimiter();
  for (const prefix of PREFIXES) {
    const base = `${prefix}anonymization/`;
    app.get(`${base}items/overview/`, { config, schema: { response: { 200: AnonymizationOverviewResponse } } }, (request) => workflow.overview(actorOf(request)));
    app.get(`${base}document-types/dropdown/`, { config, schema: { response: { 200: DocumentTypesResponse } } }, () => workflow.documentTypes());
    app.post(`${base}:id/start/`, { config, schema: { params: IdParams, querystring: MediaTypeQuery, response: { 200: AnonymizationStartResponse } } }, (request) =>
      workflow.start(actorOf(request), request.params.id, typeOf(request.query)),
    );
    app.get(`${base}:id/status/`, { config, schema: { params: IdParams, querystring: MediaTypeQuery, response: { 200: AnonymizationStatusResponse } } }, async (request, reply) => {
      const actor = actorOf(request);
      const wait = limiter.hit(`${actor.userId}:${typeOf(request.query) ?? '-'}:${request.params.id}`);
      if (wait > 0) return reply.code(429 as never).header('retry-after', String(wait)).send({ error: 'Zu viele Statusabfragen; bitte langsamer abfragen.', retry_after: wait } as never);
      return workflow.status(actor, request.params.id, typeOf(request.query));
    });
    for (const method of ['GET', 'POST'] as const) {
      app.route({
        method,
        url: `${base}:id/current/`,
        config,
        schema: { params: IdParams, querystring: MediaTypeQuery, response: { 200: CurrentItemResponse } },
        handler: (request) => workflow.current(actorOf(request), request.params.id, typeOf(request.query), prefix),
      });
    }
    app.post(`${base}:id/validate/`, { config, schema: { params: IdParams, querystring: MediaTypeQuery, body: ValidatePayload, response: { 200: ValidateResponse } } }, async (request, reply) => {
      try {
        return await validation.validate(actorOf(request), request.params.id, typeOf(request.query), request.body);
      } catch (error) {
        if (error instanceof InvalidDocumentType) {
          return reply.code(400 as never).send({ error: error.message, allowed_document_types: [...error.allowed] } satisfies z.infer<typeof InvalidDocumentTypeResponse> as never);
        }
        throw error;
      }
    });
    app.get(`${base}:id/has-raw/`, { config, schema: { params: IdParams, querystring: MediaTypeQuery, response: { 200: HasRawResponse } } }, (request) =>
      workflow.hasRaw(actorOf(request), request.params.id, typeOf(request.query)),
    );
    app.delete(`${base}clear-locks/`, { config, schema: { querystring: z.object({ type: z.enum(['video', 'pdf', 'all']).default('all') }), response: { 200: ClearLocksResponse } } }, (request) =>
      workflow.clearLocks(actorOf(request), request.query.type),
    );
    app.post(`${prefix}media-management/reset-status/:id/`, { config, schema: { params: IdParams, querystring: MediaTypeQuery, response: { 200: ResetStatusResponse } } }, (request) =>
      workflow.resetStatus(actorOf(request), request.params.id, typeOf(request.query)),
    );
  }
}

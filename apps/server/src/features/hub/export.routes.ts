import { HubExportMarkRequest, HubExportOverview, HubExportOverviewQuery, HubExportQueueRequest, HubExportQueueResponse } from '@lx/contracts';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { App } from '../../http/app.js';
import { Invalid } from '../../shared/errors.js';
import { actorOf } from '../auth/index.js';
import { TargetNodeError, type HubExportService } from './export.service.js';

const PREFIXES = ['/api/', '/endoreg-api/'] as const;

/** The original's error shapes of mark/unmark: 409 `{errors:{target_node_key}}`, 400 `{errors:{resources}}`, 400 `{detail}`. */
async function answer<T>(reply: FastifyReply, body: unknown, run: (request: HubExportMarkRequest) => Promise<T>): Promise<T | FastifyReply> {
  const parsed = HubExportMarkRequest.safeParse(body);
  if (!parsed.success) {
    return reply.code(400).send({ errors: { resources: parsed.error.issues.map((i) => `${i.path.join('.') || 'resources'}: ${i.message}`) } });
  }
  try {
    return await run(parsed.data);
  } catch (error) {
    if (error instanceof TargetNodeError) return reply.code(409).send({ errors: error.details });
    if (error instanceof Invalid) return reply.code(400).send({ detail: error.message });
    throw error;
  }
}

/** `hub-export/overview|mark|unmark|queue` under both prefixes; resource `hub-export`, center-scoped. */
export function registerHubExportRoutes(app: App, exports: HubExportService): void {
  for (const prefix of PREFIXES) {
    app.get(`${prefix}hub-export/overview/`, { config: { resource: 'hub-export' }, schema: { querystring: HubExportOverviewQuery, response: { 200: HubExportOverview } } }, (request) =>
      exports.overview(actorOf(request), request.query.target_node_key),
    );
    app.post(`${prefix}hub-export/mark/`, { config: { resource: 'hub-export' } }, (request, reply) => answer(reply, request.body, (body) => exports.mark(actorOf(request), body)));
    app.post(`${prefix}hub-export/unmark/`, { config: { resource: 'hub-export' } }, (request, reply) => answer(reply, request.body, (body) => exports.unmark(actorOf(request), body)));
    app.post(`${prefix}hub-export/queue/`, { config: { resource: 'hub-export' }, schema: { body: HubExportQueueRequest.optional(), response: { 200: HubExportQueueResponse, 409: z.object({ errors: z.record(z.string(), z.unknown()) }) } } }, async (request, reply) => {
      try {
        return { queued_count: await exports.queueMarked(actorOf(request), request.body?.target_node_key) };
      } catch (error) {
        if (error instanceof TargetNodeError) return reply.code(409).send({ errors: error.details as Record<string, unknown> });
        throw error;
      }
    });
  }
}

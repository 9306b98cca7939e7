import { HealthResponse, ReadinessCheck, ReadinessResponse } from '@lx/contracts';
import { z } from 'zod';
import type { App } from '../../http/app.js';
import type { ReadinessService } from './readiness.service.js';

const startedAt = Date.now();

/** `/healthz`: the process is up. `/readyz`: it can serve (503 with the failing checks otherwise). */
export function registerHealthRoutes(app: App, readiness: ReadinessService, version: string): void {
  app.get('/healthz', { config: { public: true }, schema: { response: { 200: HealthResponse } } }, async () => ({
    status: 'ok' as const,
    uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
    version,
  }));
  app.get('/readyz', { config: { public: true }, schema: { response: { 200: ReadinessResponse, 503: ReadinessResponse } } }, async (_request, reply) => {
    const result = await readiness.check();
    return reply.code(result.status === 'ready' ? 200 : 503).send(result);
  });
}

const HubReadinessResponse = z.object({ role: z.string(), checks: z.array(ReadinessCheck) });

/**
 * `admin/hub-readiness/` (read-only, resource `hub-export`): the hub findings of `lx-annotate
 * check` for the administration overview of the web app — this site's source node, exactly one
 * active https hub, client certificate/key/CA files readable. No secrets: the details name
 * node keys and setting names only.
 */
export function registerAdminRoutes(app: App, readiness: ReadinessService, role: string): void {
  for (const prefix of ['/api/', '/endoreg-api/']) {
    app.get(`${prefix}admin/hub-readiness/`, { config: { resource: 'hub-export' }, schema: { response: { 200: HubReadinessResponse } } }, async () => ({ role, checks: await readiness.hubChecks() }));
  }
}

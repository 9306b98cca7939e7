import { HealthResponse, ReadinessResponse } from '@lx/contracts';
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

import { buildApp, type App } from '../http/app.js';
import { registerHealthRoutes } from '../features/admin/index.js';
import type { Runtime } from './compose.js';
import { VERSION } from './version.js';

/** The HTTP application of the api role with every feature's routes. */
export function createApiApp(runtime: Runtime): App {
  const app = buildApp({ logger: runtime.logger, trustedProxies: runtime.settings.http.trustedProxies });
  registerHealthRoutes(app, runtime.readiness, VERSION);
  return app;
}

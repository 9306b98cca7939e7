import { buildApp, type App } from '../http/app.js';
import { installProtectedMedia } from '../http/protected-media.js';
import { installSpa } from '../http/spa.js';
import { installHttpTransport } from '../http/auth-transport.js';
import { installAuth, registerAuthRoutes } from '../features/auth/index.js';
import { registerAdminRoutes, registerHealthRoutes } from '../features/admin/index.js';
import { registerIngestRoutes } from '../features/ingest/index.js';
import { registerHubExportRoutes, registerHubReceiverRoutes } from '../features/hub/index.js';
import { registerAnonymizationMediaRoutes, registerAnonymizationRoutes, registerVideoRoutes } from '../features/anonymization/index.js';
import { registerSegmentRoutes } from '../features/segments/index.js';
import { registerJobRoutes } from '../jobs/index.js';
import type { Runtime } from './compose.js';
import { VERSION } from './version.js';

/** The HTTP application of the api role with every feature's routes. */
export function createApiApp(runtime: Runtime): App {
  const app = buildApp({ logger: runtime.logger, trustedProxies: runtime.settings.http.trustedProxies });
  const { paths, http } = runtime.settings;
  // First: hosts, CORS and headers, then the auth hook and its route table, then every route.
  installHttpTransport(app, {
    allowedHosts: http.allowedHosts,
    corsAllowedOrigins: http.corsAllowedOrigins,
    anyHostPaths: ['/healthz', '/readyz'],
    production: runtime.settings.env === 'production',
    formActionOrigins: [runtime.auth.oidc?.originForCsp()].filter((o): o is string => o !== undefined),
  });
  installAuth(app, runtime.auth, { onRefuse: () => runtime.close() });
  registerAuthRoutes(app, runtime.auth);
  installProtectedMedia(app, { root: paths.protectedMediaRoot, internalUrl: http.protectedMediaUrl, serveWithNginx: http.serveWithNginx, keyring: () => runtime.storage.keyring() });
  registerHealthRoutes(app, runtime.readiness, VERSION);
  registerJobRoutes(app, runtime.jobQueue);
  registerIngestRoutes(app, { ingest: runtime.ingest.core, uploads: runtime.ingest.uploads, recovery: runtime.ingest.recovery });
  registerHubReceiverRoutes(app, runtime.hub.receiver, { maxUploadBytes: runtime.settings.hub.maxUploadBytes });
  registerHubExportRoutes(app, runtime.hub.exports);
  registerAdminRoutes(app, runtime.readiness, runtime.settings.role);
  registerAnonymizationRoutes(app, { workflow: runtime.anonymization.workflow, validation: runtime.anonymization.validation });
  registerAnonymizationMediaRoutes(app, { pdfs: runtime.anonymization.pdfs, sensitiveMeta: runtime.anonymization.sensitiveMeta });
  registerSegmentRoutes(app, runtime.segments);
  registerVideoRoutes(app, {
    media: runtime.videos.media,
    correction: runtime.videos.correction,
    hls: runtime.videos.hls,
    serveWithNginx: runtime.settings.http.serveWithNginx,
    requestHls: (videoId, kind, centerId) => runtime.videos.requestHls(videoId, kind, centerId),
  });
  // Last: the web app's page paths and /static/ (explicit paths, never a catch-all over the API).
  installSpa(app, { staticRoot: paths.staticRoot });
  return app;
}

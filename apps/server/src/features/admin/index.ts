export { ReadinessService, runtimeDirectories, directoryCheck } from './readiness.service.js';
export { registerHealthRoutes } from './admin.routes.js';
export { ensureRuntimeDirectories } from './runtime-dirs.js';

export * from './auth.js';
export * from './health.js';
export * from './jobs.js';
export * from './ingest.js';
export * from './hub.js';
export * from './videos.js';
export * from './segments.js';
export * from './anonymization.js';

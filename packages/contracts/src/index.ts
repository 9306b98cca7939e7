export * from './auth.js';
export * from './health.js';
export * from './jobs.js';
export * from './ingest.js';

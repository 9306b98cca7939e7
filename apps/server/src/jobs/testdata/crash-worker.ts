// A worker process for the lease-expiry contract test: it serves the `pipeline`
// queue of the database in DATABASE_URL, reports each claim on stdout and then
// hangs in the handler until the test kills it with SIGKILL.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../../config/index.js';
import { createDatabase } from '../../db/index.js';
import { createLogger } from '../../log/logger.js';
import { createJobQueue, defineJob } from '../index.js';

const home = mkdtempSync(join(tmpdir(), 'lx-crash-worker-'));
const { settings } = loadConfig({
  processEnv: { DJANGO_ENV: 'test', DATA_DIR: home, DATABASE_URL: process.env.DATABASE_URL, CELERY_PIPELINE_QUEUE: process.env.CELERY_PIPELINE_QUEUE },
  appRoot: home,
  home,
});
const db = createDatabase(settings.database);
const queue = createJobQueue(settings, db, createLogger({ level: 'silent' }), { leaseSeconds: Number(process.env.LEASE_SECONDS ?? '2'), pollIntervalMs: 100 });
const hang = defineJob({
  name: 'test.crash',
  queue: 'pipeline',
  payload: z.object({ n: z.number() }),
  async handler(_payload, context) {
    process.stdout.write(`claimed ${context.jobId} ${context.attempt}\n`);
    await new Promise<never>(() => undefined);
  },
});
await queue.work(['pipeline'], [hang]);
process.stdout.write('ready\n');

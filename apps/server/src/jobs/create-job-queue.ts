import type { Settings } from '../config/index.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../log/logger.js';
import type { JobQueue } from './job-queue.js';
import { PgBossJobQueue } from './pgboss-queue.js';
import { SqliteJobQueue } from './sqlite-queue.js';

export interface JobQueueTuning {
  readonly leaseSeconds?: number;
  readonly pollIntervalMs?: number;
}

/** The queue of the configured engine: the embedded table on SQLite, pg-boss on PostgreSQL. */
export function createJobQueue(settings: Pick<Settings, 'database' | 'queues'>, db: Db, logger: Logger, tuning: JobQueueTuning = {}): JobQueue {
  const options = { queues: settings.queues, logger, ...tuning };
  return settings.database.engine === 'sqlite' ? new SqliteJobQueue(db, options) : new PgBossJobQueue(settings.database, options);
}

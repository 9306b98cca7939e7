import type { LoadedConfig, Settings } from '../config/index.js';
import { LazyStorage } from '../adapters/storage/index.js';
import { createDatabase, type Db } from '../db/index.js';
import { AuditLedger } from '../features/audit/index.js';
import { ReadinessService } from '../features/admin/index.js';
import { createAuth, type AuthService } from '../features/auth/index.js';
import { CentersService } from '../features/centers/index.js';
import { createIngest, type Ingest } from '../features/ingest/index.js';
import { KnowledgeBaseService } from '../features/knowledge-base/index.js';
import { createJobQueue, JobRegistry, purgeFinishedJobsJob, type JobQueue } from '../jobs/index.js';
import { createLogger, type Logger } from '../log/logger.js';

/** Everything a process role needs, wired by hand. */
export interface Runtime {
  readonly settings: Settings;
  readonly logger: Logger;
  readonly db: Db;
  readonly centers: CentersService;
  readonly knowledgeBase: KnowledgeBaseService;
  readonly audit: AuditLedger;
  readonly readiness: ReadinessService;
  /** Users, sessions, OpenID and Bearer sign-in. */
  readonly auth: AuthService;
  /** Encrypted storage at `paths.storageDir`; the key is loaded on first use. */
  readonly storage: LazyStorage;
  /** The job queue of the configured engine, created on first use. */
  readonly jobQueue: JobQueue;
  /** Every job definition; features add theirs here. */
  readonly jobs: JobRegistry;
  /** Upload API, watcher hand-off, processing jobs and quarantine (one ingest core). */
  readonly ingest: Ingest;
  close(): Promise<void>;
}

/** Storage alone, for commands that need no database. */
export function composeStorage(settings: Settings): LazyStorage {
  return new LazyStorage(settings.paths.storageDir, settings.storage);
}

export function compose(config: LoadedConfig, options: { logger?: Logger; name?: string } = {}): Runtime {
  const { settings } = config;
  const logger = options.logger ?? createLogger({ level: settings.logLevel, name: options.name });
  const db = createDatabase(settings.database);
  const centers = new CentersService(db);
  const audit = new AuditLedger(db);
  const storage = composeStorage(settings);
  let jobQueue: JobQueue | undefined;
  const queue = (): JobQueue => (jobQueue ??= createJobQueue(settings, db, logger));
  // Media import steps join here as their modules land (report: anonymization, video: media).
  const ingest = createIngest({ db, storage, audit, queue, role: settings.role, paths: settings.paths, logger, importers: {} });
  return {
    settings,
    logger,
    db,
    centers,
    knowledgeBase: new KnowledgeBaseService(db, centers),
    audit,
    readiness: new ReadinessService(db, settings, storage),
    auth: createAuth({ db, settings, audit, logger }),
    storage,
    get jobQueue() {
      return queue();
    },
    jobs: new JobRegistry([purgeFinishedJobsJob(settings.jobs.retentionDays), ...ingest.jobs]),
    ingest,
    close: async () => {
      await jobQueue?.close();
      await db.destroy();
    },
  };
}

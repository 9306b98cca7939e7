import type { LoadedConfig, Settings } from '../config/index.js';
import { LazyStorage } from '../adapters/storage/index.js';
import { createDatabase, type Db } from '../db/index.js';
import { AuditLedger } from '../features/audit/index.js';
import { ReadinessService } from '../features/admin/index.js';
import { createAuth, type AuthService } from '../features/auth/index.js';
import { CentersService } from '../features/centers/index.js';
import { createIngest, type Ingest } from '../features/ingest/index.js';
import { createAnonymizationWorkflow, createVideoPipeline, type AnonymizationWorkflow, type VideoPipeline } from '../features/anonymization/index.js';
import { KnowledgeBaseService } from '../features/knowledge-base/index.js';
import { createHub, type Hub } from '../features/hub/index.js';
import { createSegments, type Segments } from '../features/segments/index.js';
import { mediaToolsFromSettings } from '../adapters/ffmpeg/index.js';
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
  /** Report PDF import, the anonymization overview, validation and the PDF media routes. */
  readonly anonymization: AnonymizationWorkflow;
  /** Network nodes, the hub's transfer receiver and the site's hub export sender. */
  readonly hub: Hub;
  /** Video segments, their validation and post-validation rebuild, temporal AI predictions, ModelMeta. */
  readonly segments: Segments;
  /** Video import and anonymization runs, release gate, encrypted HLS, video media and correction routes. */
  readonly videos: VideoPipeline;
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
  // The overview lists ingest's quarantine; ingest sits above anonymization, so it is handed in here.
  const anonymization = createAnonymizationWorkflow({ db, audit, settings, storage, queue, quarantine: (actor) => ingest.recovery.list(actor) });
  const mediaTools = mediaToolsFromSettings(settings.media, { searchPath: process.env.PATH ?? '/usr/bin:/bin' });
  const videos = createVideoPipeline({
    db, storage, tools: mediaTools, audit, queue, paths: settings.paths, hlsThreads: settings.media.hlsThreads, defaultProcessor: settings.media.defaultProcessor,
    // The model registry belongs to segments, created below; the detector is only looked up when a run needs it.
    phiDetector: { registry: () => segments.models, modelName: settings.segments.phiDetectorModel, threshold: settings.segments.phiDetectorThreshold, threads: settings.media.hlsThreads },
  });
  const ingest = createIngest({
    db, storage, audit, queue, role: settings.role, paths: settings.paths, logger,
    importers: { report: (source) => anonymization.reports.importUpload(source), video: (source) => videos.importer.import(source) },
  });
  const hub = createHub({ db, audit, storage, settings, logger, queue });
  const segments = createSegments({
    db, storage, audit, queue,
    tools: mediaTools,
    storageDir: settings.paths.storageDir,
    minDurationSeconds: settings.segments.minDurationSeconds,
    samplesPerSecond: settings.segments.inferenceSamplesPerSecond,
    threads: settings.media.hlsThreads,
  });
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
    jobs: new JobRegistry([purgeFinishedJobsJob(settings.jobs.retentionDays), ...ingest.jobs, ...anonymization.jobs, ...hub.jobs, ...segments.jobs, ...videos.jobs]),
    ingest,
    hub,
    anonymization,
    segments,
    videos,
    close: async () => {
      await jobQueue?.close();
      await db.destroy();
    },
  };
}

import { TesseractOcr } from '../../adapters/ocr/index.js';
import type { MediaTools } from '../../adapters/ffmpeg/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import type { Db } from '../../db/index.js';
import type { JobDefinition, JobQueue } from '../../jobs/index.js';
import type { AuditLedger } from '../audit/index.js';
import type { ModelRegistry } from '../segments/index.js';
import type { PhiDetectorRun } from './phi-detection.js';
import { enqueueVideoHls, videoJobs } from './video-anonymization.jobs.js';
import { VideoCorrectionService } from './video-correction.service.js';
import { VideoHlsService } from './video-hls.service.js';
import { VideoImporter } from './video-import.js';
import { VideoMediaService } from './video-media.service.js';
import { VideoProcessingService } from './video-processing.service.js';

export interface VideoPipelineDeps {
  readonly db: Db;
  readonly storage: LazyStorage;
  readonly tools: MediaTools;
  readonly audit: AuditLedger;
  readonly queue: () => JobQueue;
  readonly paths: { readonly storageDir: string; readonly protectedMediaRoot: string; readonly streamableRawRoot: string; readonly streamableProcessedRoot: string };
  readonly hlsThreads: number;
  /** Processor of uploads that name none and no application setting names one. */
  readonly defaultProcessor: string;
  readonly ocr?: TesseractOcr;
  readonly encoderPreset?: string;
  /** The PHI-region detector: a registered ModelMeta name (unset: none configured). */
  readonly phiDetector?: { readonly registry: () => ModelRegistry; readonly modelName: string | undefined; readonly threshold: number; readonly threads?: number };
}

/** Everything of the video pipeline, wired once by the composition root. */
export interface VideoPipeline {
  readonly processing: VideoProcessingService;
  readonly hls: VideoHlsService;
  readonly importer: VideoImporter;
  readonly media: VideoMediaService;
  readonly correction: VideoCorrectionService;
  readonly jobs: JobDefinition<any>[];
  /** Enqueues HLS materialization (used after a run and on demand by the playlist route). */
  requestHls(videoId: number, kind: 'raw' | 'processed', centerId?: number): Promise<void>;
}

export function createVideoPipeline(deps: VideoPipelineDeps): VideoPipeline {
  const { db, storage, tools, paths } = deps;
  const requestHls = async (videoId: number, kind: 'raw' | 'processed', centerId?: number) => {
    await enqueueVideoHls(deps.queue(), videoId, kind, centerId);
  };
  const processing = new VideoProcessingService({
    db,
    storage,
    tools,
    ocr: deps.ocr ?? new TesseractOcr(tools, { workDir: paths.storageDir }),
    storageDir: paths.storageDir,
    encoderPreset: deps.encoderPreset,
    phiDetector: () => loadPhiDetector(deps.phiDetector),
    afterAnonymized: (videoId) => requestHls(videoId, 'processed'),
  });
  const hls = new VideoHlsService({ db, storage, tools, paths, threads: deps.hlsThreads });
  const media = new VideoMediaService({ db, storage, tools, storageDir: paths.storageDir, protectedMediaRoot: paths.protectedMediaRoot });
  return {
    processing,
    hls,
    importer: new VideoImporter({ db, processing, defaultProcessor: deps.defaultProcessor }),
    media,
    correction: new VideoCorrectionService({ db, queue: deps.queue, media, audit: deps.audit, phiDetectorAvailable: async () => (deps.phiDetector?.modelName ? deps.phiDetector.registry().hasPhiDetector(deps.phiDetector.modelName) : false) }),
    jobs: videoJobs(processing, hls),
    requestHls,
  };
}

async function loadPhiDetector(config: VideoPipelineDeps['phiDetector']): Promise<PhiDetectorRun | undefined> {
  if (!config?.modelName) return undefined;
  const loaded = await config.registry().loadPhiDetector(config.modelName, { threads: config.threads });
  return loaded && { detector: loaded.detector, model: { id: loaded.model.id, name: loaded.model.name, version: loaded.model.version }, threshold: config.threshold };
}

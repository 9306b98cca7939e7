// The segments feature's public surface: manual and predicted video segments, their validation
// and post-validation rebuild, the temporal AI classifier and ModelMeta registration.
import type { MediaTools } from '../../adapters/ffmpeg/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import type { Db } from '../../db/index.js';
import type { JobQueue } from '../../jobs/index.js';
import type { AuditLedger } from '../audit/index.js';
import { ModelRegistry } from './model-registry.js';
import { PostValidationRebuild } from './post-validation.service.js';
import { PredictionsService } from './predictions.service.js';
import { SegmentValidationService } from './segment-validation.service.js';
import { segmentsJobs } from './segments.jobs.js';
import type { SegmentRouteDeps } from './segments.routes.js';
import { SegmentsService } from './segments.service.js';
import { VideoFrameIndexes } from './video-frame-index.js';
import { segmentsTempRoot } from './video-workfile.js';

export { registerSegmentRoutes, type SegmentRouteDeps } from './segments.routes.js';
export { SegmentsService, type VideoContext } from './segments.service.js';
export { SegmentValidationService } from './segment-validation.service.js';
export { PredictionsService } from './predictions.service.js';
export { PostValidationRebuild } from './post-validation.service.js';
export { ModelRegistry, DEFAULT_HF_MODEL_ID, type RegisterModelInput } from './model-registry.js';
export { VideoFrameIndexes, processedSource } from './video-frame-index.js';
/** For the video pipeline: record the frame index of a processed file it just wrote (saves decoding it again on the first segment request). */
export { saveFrameIndex as cacheProcessedFrameIndex, findCachedFrameIndex as cachedProcessedFrameIndex } from './frame-index.repository.js';
export { POST_VALIDATION_STATUSES, segmentStatusSummaries, type PostValidationStatus, type SegmentStatusSummary } from './post-validation.repository.js';
export { POST_VALIDATION_REBUILD_JOB, PREDICT_SEGMENTS_JOB, MATERIALIZE_HLS_JOB } from './segments.job-names.js';
export { resolveBounds, segmentSeconds, inclusiveRanges, type FrameBounds } from './segment-frames.js';
export { smoothProbabilities, predictionRuns, frameStride, windowSamples, PREDICTION_THRESHOLD, SMOOTHING_WINDOW_SECONDS, type PredictedRun } from './prediction-postprocess.js';
export { OUTSIDE_LABEL, MANUAL_SOURCE, PREDICTION_SOURCE } from './segments.repository.js';

/** Everything the segments feature wires: services, routes' dependencies and jobs. */
export interface Segments extends SegmentRouteDeps {
  readonly rebuild: PostValidationRebuild;
  readonly jobs: ReturnType<typeof segmentsJobs>;
}

export function createSegments(deps: {
  db: Db;
  storage: LazyStorage;
  audit: AuditLedger;
  queue: () => JobQueue;
  tools: MediaTools;
  storageDir: string;
  minDurationSeconds: number;
  samplesPerSecond: number;
  threads?: number;
}): Segments {
  const tempRoot = segmentsTempRoot(deps.storageDir);
  const frameIndexes = new VideoFrameIndexes(deps.db, deps.storage, deps.tools, tempRoot);
  const segments = new SegmentsService({ db: deps.db, frameIndexes, minDurationSeconds: deps.minDurationSeconds });
  const models = new ModelRegistry(deps.db, deps.storage, deps.audit);
  const validation = new SegmentValidationService({ db: deps.db, segments, queue: deps.queue, audit: deps.audit });
  const predictions = new PredictionsService({ ...deps, segments, registry: models, frameIndexes, tempRoot });
  const rebuild = new PostValidationRebuild({ db: deps.db, frameIndexes, storage: deps.storage, tools: deps.tools, tempRoot, threads: deps.threads });
  return { db: deps.db, segments, validation, predictions, models, rebuild, jobs: segmentsJobs(rebuild, predictions) };
}

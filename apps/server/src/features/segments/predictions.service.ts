import type { ImportPredictionsRequest, ImportPredictionsResponse, QueuedJobResponse, RerunPredictionsRequest } from '@lx/contracts';
import { streamSampledRgbFrames, type MediaTools } from '../../adapters/ffmpeg/index.js';
import { OnnxFrameClassifier, OnnxModelError } from '../../adapters/onnx/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import { nowIso, type Db } from '../../db/index.js';
import { PermanentJobError, type JobContext, type JobQueue } from '../../jobs/index.js';
import { Conflict, Invalid } from '../../shared/errors.js';
import { annotatorOf, type Actor } from '../auth/index.js';
import { findVideo, finishHistory, reportProgress, startHistory } from '../media/index.js';
import { classifierSpecOf, type ModelRegistry } from './model-registry.js';
import { findModelMeta, insertPredictionMeta, latestActiveModel, latestPredictionMetaId, type ModelMetaRecord } from './models.repository.js';
import { frameStride, predictionRuns, sampledFrameNumbers, smoothProbabilities, summarizeProbabilities, windowSamples, PREDICTION_THRESHOLD, SMOOTHING_WINDOW_SECONDS } from './prediction-postprocess.js';
import { segmentToWire } from './segment-wire.js';
import { PREDICT_RETRY, PREDICT_SEGMENTS_JOB, type PredictSegmentsPayload } from './segments.job-names.js';
import { deletePredictionSegments, findLabel, insertSegment, listSegments, MANUAL_SOURCE, PREDICTION_SOURCE, setSegmentFlags } from './segments.repository.js';
import type { SegmentsService } from './segments.service.js';
import { processedSource, type VideoFrameIndexes } from './video-frame-index.js';
import { withDecryptedVideo } from './video-workfile.js';

/** Frames classified per step while decoding goes on (bounds memory: 32 × 716 × 716 × 3 bytes). */
const FRAMES_PER_STEP = 32;

export interface PredictionsDeps {
  readonly db: Db;
  readonly segments: SegmentsService;
  readonly registry: ModelRegistry;
  readonly frameIndexes: VideoFrameIndexes;
  readonly storage: LazyStorage;
  readonly tools: MediaTools;
  readonly tempRoot: string;
  readonly queue: () => JobQueue;
  /** `LX_ANNOTATE_INFERENCE_SAMPLES_PER_SECOND` (0 = every frame). */
  readonly samplesPerSecond: number;
  readonly threads?: number;
}

/** Temporal AI segments: rerun on the `inference` queue, the run itself, and copying predictions into manual segments. */
export class PredictionsService {
  constructor(private readonly deps: PredictionsDeps) {}

  /** `segments/rerun-predictions/`: picks the model, checks its weights are here and queues the run (202). */
  async requestRerun(actor: Actor, videoId: number, body: RerunPredictionsRequest): Promise<QueuedJobResponse> {
    const { video } = await this.deps.segments.videoFor(actor, videoId);
    const model = await this.#chooseModel(body);
    const available = (await this.deps.registry.list()).models.find((m) => m.id === model.id)?.weights_available;
    if (!available) throw new Conflict(`Die Gewichte von Modell „${model.name}“ v${model.version} fehlen im Speicher; bitte das Modell neu registrieren.`);
    const jobId = await this.deps.queue().enqueue(
      'inference',
      PREDICT_SEGMENTS_JOB,
      { videoId, modelMetaId: model.id, replace: body.replace_prediction_segments },
      { retry: PREDICT_RETRY, centerId: video.center_id, dedupeKey: `predict:${videoId}:${model.id}` },
    );
    return { message: `KI-Vorhersage mit „${model.name}“ v${model.version} wurde eingeplant.`, job_id: jobId, status: 'queued' };
  }

  async #chooseModel(body: RerunPredictionsRequest): Promise<ModelMetaRecord> {
    if (body.model_meta_id !== undefined) {
      const model = await findModelMeta(this.deps.db, body.model_meta_id);
      if (!model) throw new Invalid(`Modell ${body.model_meta_id} ist nicht registriert.`);
      if (!model.is_active) throw new Conflict(`Modell „${model.name}“ v${model.version} ist deaktiviert.`);
      return model;
    }
    if (body.hf_model_id !== undefined) {
      const model = await latestActiveModel(this.deps.db, { name: body.hf_model_id });
      if (!model) throw new Invalid(`„${body.hf_model_id}“ ist nicht lokal registriert. Modelle werden nie aus dem Internet geladen; bitte die ONNX-Datei mit „lx-annotate models register“ registrieren.`);
      return model;
    }
    const model = await latestActiveModel(this.deps.db, { labelsetName: body.labelset_name, labelsetVersion: body.labelset_version });
    if (!model) throw new Conflict('Es ist kein KI-Modell registriert (lx-annotate models register <datei.onnx> --labelset <name>).');
    return model;
  }

  /** The job: classify sampled frames, smooth over 1 s, threshold 0.5, store runs as prediction segments. */
  async run(payload: PredictSegmentsPayload, context: Pick<JobContext, 'signal' | 'jobId'>): Promise<void> {
    const { db } = this.deps;
    const video = await findVideo(db, payload.videoId);
    if (!video) return;
    const model = await findModelMeta(db, payload.modelMetaId);
    if (!model || !model.is_active) throw new PermanentJobError(`model meta ${payload.modelMetaId} is missing or inactive`);
    const index = await this.deps.frameIndexes.forVideo(video, context.signal);
    const started = Date.now();
    const historyId = await startHistory(db, { videoId: video.id, operation: 'ai_temporal_inference', config: { model_meta_id: model.id, model_version: model.version, replace: payload.replace }, taskId: context.jobId }, nowIso());
    let classifier: OnnxFrameClassifier | undefined;
    try {
      classifier = await OnnxFrameClassifier.load(await this.deps.registry.weights(model), classifierSpecOf(model), { threads: this.deps.threads });
      const stride = frameStride(index.typicalFrameSeconds, this.deps.samplesPerSecond);
      const frames = sampledFrameNumbers(index.frameCount, stride);
      const rows: Float32Array[] = [];
      const storage = await this.deps.storage.service();
      await withDecryptedVideo(
        storage,
        processedSource(video).file,
        this.deps.tempRoot,
        async (path) => {
          const options = { path, frameIndex: index, stride, width: model.input_width, height: model.input_height, batchSize: FRAMES_PER_STEP, signal: context.signal };
          await streamSampledRgbFrames(this.deps.tools, options, async (_frameNumbers, pixels) => {
            rows.push(...(await classifier!.classify(pixels, model.output_labels.length)));
            await reportProgress(db, historyId, rows.length / frames.length, 'classifying_frames');
          });
        },
        context.signal,
      );
      const smoothed = smoothProbabilities(rows, windowSamples(index.typicalFrameSeconds, stride));
      const runs = predictionRuns(frames, smoothed, model.output_labels, index.frameCount);
      const labelIds = new Map<string, number>();
      for (const name of model.output_labels) {
        const label = await findLabel(db, { name });
        if (!label) throw new PermanentJobError(`label ${name} of model meta ${model.id} is missing`);
        labelIds.set(name, label.id);
      }
      await db.transaction().execute(async (trx) => {
        const now = nowIso();
        const metaId = await insertPredictionMeta(
          trx,
          {
            videoId: video.id,
            modelMetaId: model.id,
            frameCount: index.frameCount,
            frameStride: stride,
            sampledFrames: frames.length,
            smoothingWindowSeconds: SMOOTHING_WINDOW_SECONDS,
            threshold: PREDICTION_THRESHOLD,
            labelSummary: summarizeProbabilities(rows, smoothed, model.output_labels),
            durationMs: Date.now() - started,
          },
          now,
        );
        if (payload.replace) await deletePredictionSegments(trx, video.id);
        for (const run of runs) {
          await insertSegment(
            trx,
            {
              videoId: video.id,
              labelId: labelIds.get(run.label)!,
              startFrame: run.startFrame,
              endFrame: run.endFrame,
              sourceName: PREDICTION_SOURCE,
              origin: 'prediction',
              predictionMetaId: metaId,
              annotator: `model:${model.name}:v${model.version}`,
              createdBy: `job:${context.jobId}`,
              exportSegment: false,
              notes: '',
            },
            now,
          );
        }
        await setSegmentFlags(trx, video.id, { initial_prediction_completed: true, lvs_created: true }, now);
      });
      await finishHistory(db, historyId, { status: 'succeeded', output: { sampled_frames: frames.length, frame_stride: stride, prediction_segments: runs.length } }, nowIso());
    } catch (error) {
      await finishHistory(db, historyId, { status: 'failed', errorDetail: `KI-Vorhersage fehlgeschlagen: ${(error as Error).message}` }, nowIso());
      if (error instanceof OnnxModelError) throw new PermanentJobError(error.message);
      throw error;
    } finally {
      await classifier?.close();
    }
  }

  /** "Als manuelle Segmente übernehmen": copies prediction segments into manual ones of the annotator. */
  async importPredictions(actor: Actor, videoId: number, body: ImportPredictionsRequest): Promise<ImportPredictionsResponse> {
    const { index } = await this.deps.segments.videoFor(actor, videoId);
    const annotator = body.annotator ?? annotatorOf(actor);
    const metaId = body.prediction_meta_id ?? (await latestPredictionMetaId(this.deps.db, videoId));
    const result = await this.deps.db.transaction().execute(async (trx) => {
      const predictions = (await listSegments(trx, videoId, { origin: 'prediction' })).filter(
        (p) => (metaId === undefined || p.prediction_meta_id === metaId) && (!body.label_ids || body.label_ids.includes(p.label_id)),
      );
      const existing = await listSegments(trx, videoId, { origin: 'manual', annotator });
      const now = nowIso();
      const created: number[] = [];
      let skipped = 0;
      for (const p of predictions) {
        if (existing.some((m) => m.label_id === p.label_id && m.start_frame_number === p.start_frame_number && m.end_frame_number === p.end_frame_number)) {
          skipped += 1;
          continue;
        }
        created.push(
          await insertSegment(
            trx,
            { videoId, labelId: p.label_id, startFrame: p.start_frame_number, endFrame: p.end_frame_number, sourceName: MANUAL_SOURCE, origin: 'manual', predictionMetaId: p.prediction_meta_id, annotator, createdBy: annotatorOf(actor), exportSegment: true, notes: '' },
            now,
          ),
        );
      }
      if (created.length > 0) await setSegmentFlags(trx, videoId, { segment_annotations_created: true }, now);
      return { skipped, segments: await listSegments(trx, videoId, { ids: created }) };
    });
    return { created: result.segments.length, skipped: result.skipped, segments: result.segments.map((s) => segmentToWire(s, index)) };
  }
}

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { PredictionModelListResponse } from '@lx/contracts';
import { OnnxFrameClassifier, OnnxModelError, OnnxPhiDetector, type ClassifierSpec } from '../../adapters/onnx/index.js';
import type { LazyStorage } from '../../adapters/storage/index.js';
import { nowIso, type Db } from '../../db/index.js';
import { Invalid } from '../../shared/errors.js';
import type { AuditLedger } from '../audit/index.js';
import { ensureAiModel, findLabelSet, insertModelMeta, latestActiveModel, listModelMeta, nextModelVersion, findModelMeta, PHI_DETECTOR_OUTPUT, type ModelMetaRecord } from './models.repository.js';

/** The original's default model id; shown for orientation only: weights are never downloaded. */
export const DEFAULT_HF_MODEL_ID = 'wg-lux/colo_segmentation_RegNetX800MF_base';

export interface RegisterModelInput {
  /** Path of the ONNX file to register (copied into encrypted storage). */
  readonly onnxFile: string;
  readonly name: string;
  readonly labelsetName: string;
  readonly labelsetVersion?: number;
  /** Label names in model output order; default: the label set's labels in base-data order. */
  readonly outputLabels?: readonly string[];
  readonly inputWidth?: number;
  readonly inputHeight?: number;
  readonly mean?: readonly [number, number, number];
  readonly std?: readonly [number, number, number];
  readonly activation?: 'sigmoid' | 'none';
  readonly batchSize?: number;
  /**
   * `classifier` (default): one row of label probabilities per frame. `phi_detector`: a heat
   * map N×1×gh×gw of identifying text (docs/video-processing.md); `outputLabels` do not apply.
   */
  readonly kind?: 'classifier' | 'phi_detector';
  readonly registeredBy: string;
}

/** ImageNet normalisation and the original's 716×716 input: the defaults of the colonoscopy classifier. */
const DEFAULTS = { inputWidth: 716, inputHeight: 716, mean: [0.485, 0.456, 0.406] as const, std: [0.229, 0.224, 0.225] as const };

export function classifierSpecOf(model: ModelMetaRecord): ClassifierSpec {
  return { inputWidth: model.input_width, inputHeight: model.input_height, mean: model.mean, std: model.std, activation: model.activation, batchSize: model.batch_size };
}

/** ModelMeta registration and listing. Weights live encrypted under `model_weights/` in storage. */
export class ModelRegistry {
  constructor(
    private readonly db: Db,
    private readonly storage: LazyStorage,
    private readonly audit: AuditLedger,
  ) {}

  /**
   * Registers a local ONNX file as the next version of a model: the file must load on the CPU
   * provider and answer one row of exactly as many values as the label set has labels.
   */
  async register(input: RegisterModelInput): Promise<ModelMetaRecord> {
    const set = await findLabelSet(this.db, input.labelsetName, input.labelsetVersion);
    if (!set) throw new Invalid(`Label-Set „${input.labelsetName}“${input.labelsetVersion ? ` v${input.labelsetVersion}` : ''} ist nicht vorhanden (Stammdaten laden: lx-annotate load-base-data).`);
    const detector = input.kind === 'phi_detector';
    if (detector && input.outputLabels) throw new Invalid('Ein PHI-Detektor hat keine Ausgabe-Labels (--labels entfällt).');
    const outputLabels = detector ? [PHI_DETECTOR_OUTPUT] : (input.outputLabels ?? set.labels);
    const unknown = detector ? [] : outputLabels.filter((l) => !set.labels.includes(l));
    if (unknown.length > 0) throw new Invalid(`Labels gehören nicht zum Label-Set: ${unknown.join(', ')}.`);
    const spec: ClassifierSpec = {
      inputWidth: input.inputWidth ?? DEFAULTS.inputWidth,
      inputHeight: input.inputHeight ?? DEFAULTS.inputHeight,
      mean: input.mean ?? DEFAULTS.mean,
      std: input.std ?? DEFAULTS.std,
      activation: input.activation ?? 'sigmoid',
      batchSize: input.batchSize ?? 8,
    };
    const bytes = await readFile(input.onnxFile);
    await (detector ? checkDetector(bytes, spec) : checkModel(bytes, spec, outputLabels.length));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const now = nowIso();
    const aiModelId = await ensureAiModel(this.db, input.name, now);
    const version = await nextModelVersion(this.db, aiModelId);
    const storage = await this.storage.service();
    const weightsFile = `model_weights/${aiModelId}/v${version}-${sha256.slice(0, 12)}.onnx`;
    await storage.write(weightsFile, Readable.from([bytes]));
    const id = await insertModelMeta(
      this.db,
      { aiModelId, version, labelsetId: set.id, weightsFile, weightsSha256: sha256, ...spec, outputLabels },
      now,
    );
    await this.audit.append({ action: 'models.registered', objectType: 'model_meta', objectPk: String(id), actor: input.registeredBy, data: { name: input.name, version, kind: input.kind ?? 'classifier', labelset: input.labelsetName, weights_sha256: sha256 } });
    return (await findModelMeta(this.db, id))!;
  }

  async list(): Promise<PredictionModelListResponse> {
    const storage = this.storage.configured ? await this.storage.service() : undefined;
    const models = await listModelMeta(this.db);
    return {
      models: await Promise.all(
        models.map(async (m) => ({
          id: m.id,
          name: m.name,
          version: m.version,
          labelset_id: m.labelset_id,
          labelset_name: m.labelset_name,
          labelset_version: m.labelset_version,
          weights_available: storage ? await storage.exists(m.weights_file) : false,
          is_active: m.is_active,
        })),
      ),
      default_huggingface_model_id: DEFAULT_HF_MODEL_ID,
      huggingface_models: [],
    };
  }

  /** Whether an active PHI detector is registered under `name`. */
  async hasPhiDetector(name: string): Promise<boolean> {
    return (await latestActiveModel(this.db, { name, kind: 'phi_detector' })) !== undefined;
  }

  /**
   * The newest active PHI detector registered under `name`, loaded on the CPU (the caller
   * closes it); undefined when none is registered.
   */
  async loadPhiDetector(name: string, options: { threads?: number } = {}): Promise<{ model: ModelMetaRecord; detector: OnnxPhiDetector } | undefined> {
    const model = await latestActiveModel(this.db, { name, kind: 'phi_detector' });
    if (!model) return undefined;
    return { model, detector: await OnnxPhiDetector.load(await this.weights(model), classifierSpecOf(model), options) };
  }

  /** The decrypted weights of a registered model, checked against the registered hash. */
  async weights(model: ModelMetaRecord): Promise<Uint8Array> {
    const storage = await this.storage.service();
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.read(model.weights_file)) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    if (createHash('sha256').update(bytes).digest('hex') !== model.weights_sha256) throw new OnnxModelError('Die gespeicherte Modelldatei stimmt nicht mit der Registrierung überein.');
    return bytes;
  }
}

/** The model must load on the CPU provider and answer one grey frame in the shape its kind promises. */
async function checkOnCpu<T extends { close(): Promise<void> }>(open: () => Promise<T>, probe: (model: T) => Promise<unknown>): Promise<void> {
  let model: T | undefined;
  try {
    model = await open();
    await probe(model);
  } catch (error) {
    if (error instanceof OnnxModelError) throw new Invalid(error.message);
    throw error;
  } finally {
    await model?.close();
  }
}

function checkModel(bytes: Uint8Array, spec: ClassifierSpec, labelCount: number): Promise<void> {
  return checkOnCpu(() => OnnxFrameClassifier.load(bytes, spec), (c) => c.classify([Buffer.alloc(spec.inputWidth * spec.inputHeight * 3, 128)], labelCount));
}

/** A PHI detector answers a heat map [1, 1, gh, gw]. */
function checkDetector(bytes: Uint8Array, spec: ClassifierSpec): Promise<void> {
  return checkOnCpu(() => OnnxPhiDetector.load(bytes, spec), (d) => d.heatmaps([Buffer.alloc(spec.inputWidth * spec.inputHeight * 3, 128)]));
}

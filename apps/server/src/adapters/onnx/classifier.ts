import { access, constants } from 'node:fs/promises';
import { InferenceSession, Tensor } from 'onnxruntime-node';

/** Preprocessing and output handling of one frame classifier, as registered in ModelMeta. */
export interface ClassifierSpec {
  /** Model input width and height in pixels (the original uses 716×716). */
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** Per-channel (R, G, B) mean and standard deviation applied to pixel values scaled to 0..1. */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** `sigmoid`: the model returns logits; `none`: it returns probabilities already. */
  readonly activation: 'sigmoid' | 'none';
  /** Frames per inference call. */
  readonly batchSize: number;
}

export class OnnxModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxModelError';
  }
}

/**
 * A local ONNX frame classifier on the CPU execution provider. Weights come only from the
 * given file; nothing is ever downloaded. Input: float32 NCHW (N×3×H×W); output: N×labels.
 */
export class OnnxFrameClassifier {
  readonly #session: InferenceSession;
  readonly #spec: ClassifierSpec;
  readonly inputName: string;
  readonly outputName: string;

  private constructor(session: InferenceSession, spec: ClassifierSpec) {
    this.#session = session;
    this.#spec = spec;
    this.inputName = session.inputNames[0]!;
    this.outputName = session.outputNames[0]!;
  }

  /**
   * Loads a model from a file or from bytes already in memory (decrypted weights never touch
   * the disk); fails with `OnnxModelError` when it is missing, not ONNX, or has not one input.
   */
  static async load(source: string | Uint8Array, spec: ClassifierSpec, options: { threads?: number } = {}): Promise<OnnxFrameClassifier> {
    if (typeof source === 'string') {
      try {
        await access(source, constants.R_OK);
      } catch {
        throw new OnnxModelError('Die Modelldatei ist nicht vorhanden oder nicht lesbar.');
      }
    }
    return new OnnxFrameClassifier(await openCpuSession(source, options.threads), spec);
  }

  get spec(): ClassifierSpec {
    return this.#spec;
  }

  /**
   * Per-label probabilities of each frame. `frames` hold packed RGB24 pixels of exactly
   * `inputWidth × inputHeight`; the result has one row of `labelCount` values per frame.
   */
  async classify(frames: readonly Buffer[], labelCount: number): Promise<Float32Array[]> {
    const rows: Float32Array[] = [];
    for (let start = 0; start < frames.length; start += this.#spec.batchSize) {
      const batch = frames.slice(start, start + this.#spec.batchSize);
      const input = new Tensor('float32', rgbToNchw(batch, this.#spec), [batch.length, 3, this.#spec.inputHeight, this.#spec.inputWidth]);
      const output = (await this.#session.run({ [this.inputName]: input }))[this.outputName];
      if (!output || output.type !== 'float32') throw new OnnxModelError('Das Modell liefert keine float32-Ausgabe.');
      const dims = output.dims;
      const width = dims.length === 2 ? Number(dims[1]) : Number.NaN;
      if (Number(dims[0]) !== batch.length || width !== labelCount) {
        throw new OnnxModelError(`Die Modellausgabe hat die Form [${dims.join(', ')}], erwartet [${batch.length}, ${labelCount}] (Anzahl Labels des Label-Sets).`);
      }
      const data = output.data as Float32Array;
      for (let i = 0; i < batch.length; i += 1) {
        const row = data.slice(i * labelCount, (i + 1) * labelCount);
        if (this.#spec.activation === 'sigmoid') for (let j = 0; j < row.length; j += 1) row[j] = 1 / (1 + Math.exp(-row[j]!));
        rows.push(row);
      }
      output.dispose();
    }
    return rows;
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}

/** An ONNX Runtime session on the CPU with one input and at least one output (`OnnxModelError` otherwise). */
export async function openCpuSession(source: string | Uint8Array, threads = 1): Promise<InferenceSession> {
  const sessionOptions: InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
  let session: InferenceSession;
  try {
    session = typeof source === 'string' ? await InferenceSession.create(source, sessionOptions) : await InferenceSession.create(source, sessionOptions);
  } catch (error) {
    throw new OnnxModelError(`Die Modelldatei ist kein gültiges ONNX-Modell: ${(error as Error).message.slice(0, 200)}`);
  }
  if (session.inputNames.length !== 1 || session.outputNames.length < 1) {
    await session.release();
    throw new OnnxModelError('Das Modell muss genau einen Eingang und mindestens einen Ausgang haben.');
  }
  return session;
}

/** Packed RGB24 frames → normalised float32 NCHW: `(value / 255 - mean[c]) / std[c]`. */
export function rgbToNchw(frames: readonly Buffer[], spec: Pick<ClassifierSpec, 'inputWidth' | 'inputHeight' | 'mean' | 'std'>): Float32Array {
  const plane = spec.inputWidth * spec.inputHeight;
  const out = new Float32Array(frames.length * 3 * plane);
  const [s0, s1, s2] = [0, 1, 2].map((c) => 1 / (255 * spec.std[c]!)) as [number, number, number];
  const [o0, o1, o2] = [0, 1, 2].map((c) => spec.mean[c]! / spec.std[c]!) as [number, number, number];
  frames.forEach((frame, n) => {
    if (frame.length !== plane * 3) throw new OnnxModelError(`Bild ${n} hat ${frame.length} Bytes, erwartet ${plane * 3}.`);
    const r = n * 3 * plane;
    const g = r + plane;
    const b = g + plane;
    for (let p = 0, i = 0; p < plane; p += 1, i += 3) {
      out[r + p] = frame[i]! * s0 - o0;
      out[g + p] = frame[i + 1]! * s1 - o1;
      out[b + p] = frame[i + 2]! * s2 - o2;
    }
  });
  return out;
}

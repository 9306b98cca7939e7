import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { OnnxModelError, openCpuSession, rgbToNchw, type ClassifierSpec } from './classifier.js';

/**
 * One frame's heat map of "identifying text here": `gridWidth × gridHeight` probabilities in
 * row-major order; cell (col, row) covers the same share of the frame as of the model input.
 */
export interface PhiHeatmap {
  readonly gridWidth: number;
  readonly gridHeight: number;
  readonly scores: Float32Array;
}

/**
 * A local ONNX PHI-region detector on the CPU execution provider (contract in
 * docs/video-processing.md): input float32 N×3×H×W normalised like a frame classifier
 * (`(pixel/255 − mean)/std`), output N×1×gh×gw per-cell probabilities (`activation: none`)
 * or logits (`sigmoid`). Weights come only from the given bytes or file.
 */
export class OnnxPhiDetector {
  readonly #session: InferenceSession;
  readonly #spec: ClassifierSpec;
  readonly #inputName: string;
  readonly #outputName: string;

  private constructor(session: InferenceSession, spec: ClassifierSpec) {
    this.#session = session;
    this.#spec = spec;
    this.#inputName = session.inputNames[0]!;
    this.#outputName = session.outputNames[0]!;
  }

  static async load(source: string | Uint8Array, spec: ClassifierSpec, options: { threads?: number } = {}): Promise<OnnxPhiDetector> {
    return new OnnxPhiDetector(await openCpuSession(source, options.threads), spec);
  }

  get spec(): ClassifierSpec {
    return this.#spec;
  }

  /** Heat maps of packed RGB24 frames of exactly `inputWidth × inputHeight` (one per frame, in order). */
  async heatmaps(frames: readonly Buffer[]): Promise<PhiHeatmap[]> {
    const maps: PhiHeatmap[] = [];
    for (let start = 0; start < frames.length; start += this.#spec.batchSize) {
      const batch = frames.slice(start, start + this.#spec.batchSize);
      const input = new Tensor('float32', rgbToNchw(batch, this.#spec), [batch.length, 3, this.#spec.inputHeight, this.#spec.inputWidth]);
      const output = (await this.#session.run({ [this.#inputName]: input }))[this.#outputName];
      if (!output || output.type !== 'float32') throw new OnnxModelError('Der PHI-Detektor liefert keine float32-Ausgabe.');
      const dims = output.dims.map(Number);
      if (dims.length !== 4 || dims[0] !== batch.length || dims[1] !== 1 || !(dims[2]! > 0) || !(dims[3]! > 0)) {
        output.dispose();
        throw new OnnxModelError(`Die Ausgabe des PHI-Detektors hat die Form [${dims.join(', ')}], erwartet [${batch.length}, 1, Rasterhöhe, Rasterbreite].`);
      }
      const [gridHeight, gridWidth] = [dims[2]!, dims[3]!];
      const cells = gridWidth * gridHeight;
      const data = output.data as Float32Array;
      for (let i = 0; i < batch.length; i += 1) {
        const scores = data.slice(i * cells, (i + 1) * cells);
        if (this.#spec.activation === 'sigmoid') for (let j = 0; j < cells; j += 1) scores[j] = 1 / (1 + Math.exp(-scores[j]!));
        maps.push({ gridWidth, gridHeight, scores });
      }
      output.dispose();
    }
    return maps;
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}

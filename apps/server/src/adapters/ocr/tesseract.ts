import { availableParallelism, tmpdir } from 'node:os';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { MediaToolError, runTool, type MediaTools } from '../ffmpeg/index.js';
import { parseTesseractTsv, type OcrResult } from './tsv.js';

/** Page segmentation: one text line per crop, or scattered text anywhere in it. */
export type OcrLayout = 'single_line' | 'sparse' | 'block';
const PSM: Record<OcrLayout, string> = { single_line: '7', sparse: '11', block: '6' };

export interface OcrOptions {
  readonly layout: OcrLayout;
  /** Tesseract language list; the overlay OCR reads German and English. */
  readonly languages?: string;
  readonly signal?: AbortSignal;
}

export interface TesseractPoolOptions {
  /** Parallel tesseract processes; default one per core (each runs single-threaded). */
  readonly processes?: number;
  /** Largest batch for one process, so one run cannot take unbounded time. */
  readonly maxImagesPerProcess?: number;
  /** Directory for the per-batch list files (not the images). */
  readonly workDir?: string;
}

/**
 * Batch OCR with tesseract. Start-up (loading deu+eng models) costs far more than reading a
 * small crop, so each process reads a list file of many images; a pool of single-threaded
 * processes (`OMP_THREAD_LIMIT=1`) uses one core each. Results come from the TSV output and
 * stay in memory: recognised text is patient data and is never written to disk here.
 */
export class TesseractOcr {
  readonly processes: number;
  readonly #maxPerProcess: number;
  readonly #workDir: string;

  constructor(
    private readonly tools: MediaTools,
    options: TesseractPoolOptions = {},
  ) {
    this.processes = Math.max(1, Math.floor(options.processes ?? availableParallelism()));
    this.#maxPerProcess = Math.max(1, Math.floor(options.maxImagesPerProcess ?? 400));
    this.#workDir = options.workDir ?? tmpdir();
  }

  /** Reads every image; result `i` belongs to `imagePaths[i]`. */
  async recognize(imagePaths: readonly string[], options: OcrOptions): Promise<OcrResult[]> {
    for (const path of imagePaths) {
      if (!isAbsolute(path) || /[\r\n]/.test(path)) throw new RangeError('OCR image paths must be absolute single-line paths');
    }
    if (imagePaths.length === 0) return [];
    const batchCount = Math.max(Math.min(this.processes, imagePaths.length), Math.ceil(imagePaths.length / this.#maxPerProcess));
    const batchSize = Math.ceil(imagePaths.length / batchCount);
    const batches: string[][] = [];
    for (let i = 0; i < imagePaths.length; i += batchSize) batches.push(imagePaths.slice(i, i + batchSize));

    const results: OcrResult[][] = new Array(batches.length);
    // One failed batch stops the others, so no tesseract outlives the call.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    let next = 0;
    let firstError: unknown;
    const worker = async () => {
      while (next < batches.length && !signal.aborted) {
        const mine = next;
        next += 1;
        try {
          results[mine] = await this.#runBatch(batches[mine]!, { ...options, signal });
        } catch (error) {
          firstError ??= error;
          stop.abort();
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.processes, batches.length) }, worker));
    if (firstError !== undefined) throw firstError;
    if (options.signal?.aborted) throw new MediaToolError('aborted', 'tesseract', 'aborted');
    return results.flat();
  }

  async #runBatch(images: readonly string[], options: OcrOptions): Promise<OcrResult[]> {
    const dir = await mkdtemp(join(this.#workDir, 'ocr-'));
    try {
      const listPath = join(dir, 'images.txt');
      await writeFile(listPath, `${images.join('\n')}\n`, { mode: 0o600 });
      const { stdout } = await runTool({
        tool: 'tesseract',
        command: this.tools.tesseract,
        args: [listPath, 'stdout', '-l', options.languages ?? 'deu+eng', '--psm', PSM[options.layout], 'tsv'],
        env: { ...this.tools.baseEnv, OMP_THREAD_LIMIT: '1', TESSDATA_PREFIX: this.tools.tessdataPrefix },
        totalTimeoutSeconds: Math.min(this.tools.totalTimeoutSeconds, 60 + images.length * 5),
        idleTimeoutSeconds: Math.min(this.tools.idleTimeoutSeconds, 60),
        captureStdout: true,
        signal: options.signal,
      });
      return parseTesseractTsv(stdout.toString('utf8'), images.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PdfError } from './errors.js';
import { firstLine } from './render.js';
import { runTool } from './run-tool.js';
import { tsvWordRows } from '../ocr/index.js';

// The PDF path runs tesseract on single rendered pages from stdin at a given DPI and needs
// word offsets in the page text; it shares the TSV row parsing with adapters/ocr/.

/** One recognised word; pixel coordinates of the input image, origin top left. */
export interface OcrWord {
  readonly text: string;
  /** 0-100 as tesseract reports it. */
  readonly confidence: number;
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  /** Block, paragraph and line numbers: words with the same triple form one line. */
  readonly lineKey: string;
}

export interface OcrResult {
  /** Words joined by spaces, lines by line breaks, paragraphs by blank lines. */
  readonly text: string;
  readonly words: readonly OcrWord[];
  /** `[start, end)` of each word within `text`. */
  readonly wordOffsets: readonly (readonly [number, number])[];
}

export interface TesseractOptions {
  /** Tesseract language list, e.g. `deu+eng`. */
  readonly languages: string;
  readonly tessdataPrefix: string;
  readonly timeoutMs: number;
  /** Page segmentation mode; 3 (automatic) suits documents, 11/12 sparse text. */
  readonly pageSegmentationMode?: number;
}

/**
 * One OCR run per call, single-threaded: pages are OCRed in parallel by the
 * caller, and tesseract's own OpenMP threads only add contention on small hosts.
 */
function env(options: TesseractOptions): Record<string, string> {
  return { OMP_THREAD_LIMIT: '1', TESSDATA_PREFIX: options.tessdataPrefix };
}

function baseArgs(dpi: number, options: TesseractOptions): string[] {
  return ['stdin', 'stdout', '-l', options.languages, '--dpi', String(Math.round(dpi)), '--psm', String(options.pageSegmentationMode ?? 3)];
}

/** Recognises an image (PNG/JPEG/TIFF bytes) and returns its words with positions. */
export async function ocrImage(image: Uint8Array, dpi: number, options: TesseractOptions): Promise<OcrResult> {
  const run = await runTool('tesseract', [...baseArgs(dpi, options), 'tsv'], { timeoutMs: options.timeoutMs, stdin: image, env: env(options), maxStdoutBytes: 64 * 1024 * 1024 });
  if (run.code !== 0) throw new PdfError('tool_failed', `tesseract failed (exit ${run.code}): ${firstLine(run.stderr)}`);
  return parseTsv(run.stdout.toString('utf8'));
}

/**
 * Recognises an image once and returns both its words and a one-page text-only
 * PDF: an invisible text layer positioned over the words, sized like the image
 * at `dpi`, to be laid over the page image. The outputs pass through `workDir`
 * (tesseract writes several renderers only to files); they are removed after.
 */
export async function ocrImageWithTextPdf(image: Uint8Array, dpi: number, options: TesseractOptions, workDir: string): Promise<{ ocr: OcrResult; textPdf: Buffer }> {
  const base = join(workDir, `ocr-${randomBytes(8).toString('hex')}`);
  const args = ['stdin', base, '-l', options.languages, '--dpi', String(Math.round(dpi)), '--psm', String(options.pageSegmentationMode ?? 3), '-c', 'textonly_pdf=1', 'pdf', 'tsv'];
  try {
    const run = await runTool('tesseract', args, { timeoutMs: options.timeoutMs, stdin: image, env: env(options), maxStdoutBytes: 1024 * 1024 });
    if (run.code !== 0) throw new PdfError('tool_failed', `tesseract failed (exit ${run.code}): ${firstLine(run.stderr)}`);
    const [textPdf, tsv] = await Promise.all([readFile(`${base}.pdf`), readFile(`${base}.tsv`, 'utf8')]);
    if (textPdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new PdfError('tool_failed', 'tesseract wrote no PDF');
    return { ocr: parseTsv(tsv), textPdf };
  } finally {
    await Promise.all([rm(`${base}.pdf`, { force: true }), rm(`${base}.tsv`, { force: true })]);
  }
}

/** Parses tesseract's TSV output (level 5 rows are words). */
export function parseTsv(tsv: string): OcrResult {
  const words: OcrWord[] = [];
  for (const { text, confidencePercent, left, top, width, height, lineKey } of tsvWordRows(tsv)) {
    words.push({ text, confidence: confidencePercent, left, top, width, height, lineKey });
  }
  let text = '';
  const wordOffsets: [number, number][] = [];
  let previousKey: string | undefined;
  for (const word of words) {
    if (previousKey !== undefined) {
      const [pb, pp] = previousKey.split('.');
      const [b, p] = word.lineKey.split('.');
      text += word.lineKey === previousKey ? ' ' : pb === b && pp === p ? '\n' : '\n\n';
    }
    wordOffsets.push([text.length, text.length + word.text.length]);
    text += word.text;
    previousKey = word.lineKey;
  }
  return { text, words, wordOffsets };
}

import { PdfError } from './errors.js';
import { checkPageSize, type PdfLimits } from './limits.js';

/**
 * One run of text as the PDF's text layer has it, placed on the displayed page
 * (rotation and crop box applied) in PDF points with the origin at the top left.
 * The run's baseline goes from `origin` along `advance`; `up` points from the
 * baseline to the top of the glyphs. Sub-ranges of the run are located by
 * interpolating along `advance` (see `boxOfRange`).
 */
export interface TextRun {
  readonly text: string;
  readonly origin: readonly [number, number];
  readonly advance: readonly [number, number];
  readonly up: readonly [number, number];
}

export interface PageTextLayer {
  /** 1-based. */
  readonly pageNumber: number;
  readonly widthPt: number;
  readonly heightPt: number;
  readonly runs: readonly TextRun[];
  /** The page's text, runs joined with spaces and line breaks in reading order. */
  readonly text: string;
  /** `[start, end)` offset of each run's text within `text`. */
  readonly runOffsets: readonly (readonly [number, number])[];
  /** Whether the page paints images or vector paths (only computed for pages without text). */
  readonly hasGraphics: boolean;
}

export interface DocumentTextLayer {
  readonly pageCount: number;
  readonly pages: readonly PageTextLayer[];
}

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsModule: Promise<PdfJs> | undefined;
function pdfjs(): Promise<PdfJs> {
  pdfjsModule ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjsModule;
}

type Matrix = readonly [number, number, number, number, number, number];
const applyPoint = (m: Matrix, x: number, y: number): [number, number] => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
const applyVector = (m: Matrix, x: number, y: number): [number, number] => [m[0] * x + m[2] * y, m[1] * x + m[3] * y];

/** Opens a PDF with pdf.js configured for untrusted input: no eval, no font loading, no network. */
export async function openPdfDocument(bytes: Uint8Array, limits: PdfLimits) {
  if (bytes.length === 0) throw new PdfError('empty', 'the PDF is empty (0 bytes)');
  if (bytes.length > limits.maxBytes) throw new PdfError('too_large', `the PDF has ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
  const { getDocument } = await pdfjs();
  // pdf.js takes ownership of the buffer it is given; hand it a copy.
  const task = getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    enableXfa: false,
    isOffscreenCanvasSupported: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  try {
    const doc = await task.promise;
    if (doc.numPages > limits.maxPages) {
      await doc.destroy();
      throw new PdfError('too_many_pages', `the PDF has ${doc.numPages} pages; the limit is ${limits.maxPages}`);
    }
    if (doc.numPages === 0) {
      await doc.destroy();
      throw new PdfError('malformed', 'the PDF has no pages');
    }
    return doc;
  } catch (error) {
    await task.destroy().catch(() => undefined);
    throw translatePdfJsError(error);
  }
}

export function translatePdfJsError(error: unknown): unknown {
  if (error instanceof PdfError) return error;
  const name = (error as { name?: string } | null)?.name;
  if (name === 'PasswordException') return new PdfError('encrypted', 'the PDF is password-protected', { cause: error });
  if (name === 'InvalidPDFException' || name === 'FormatError' || name === 'UnknownErrorException') {
    return new PdfError('malformed', 'the PDF structure is invalid', { cause: error });
  }
  return new PdfError('malformed', `the PDF could not be parsed (${(error as Error)?.message ?? String(error)})`, { cause: error });
}

/**
 * Reads the text layer of every page with positions. Pages and their sizes are
 * checked against `limits` before any page content is parsed.
 */
export async function extractTextLayer(bytes: Uint8Array, limits: PdfLimits): Promise<DocumentTextLayer> {
  const doc = await openPdfDocument(bytes, limits);
  const { OPS } = await pdfjs();
  const paintOps = new Set<number>([
    OPS.paintImageXObject, OPS.paintInlineImageXObject, OPS.paintImageMaskXObject, OPS.paintImageXObjectRepeat,
    OPS.paintInlineImageXObjectGroup, OPS.paintImageMaskXObjectGroup, OPS.paintSolidColorImageMask, OPS.constructPath,
    OPS.stroke, OPS.fill, OPS.eoFill, OPS.fillStroke, OPS.eoFillStroke, OPS.shadingFill,
  ]);
  try {
    const pages: PageTextLayer[] = [];
    for (let pageNumber = 1; pageNumber <= doc.numPages; pageNumber += 1) {
      const page = await doc.getPage(pageNumber);
      const viewport = page.getViewport({ scale: 1 });
      checkPageSize(pageNumber, { widthPt: viewport.width, heightPt: viewport.height }, limits);
      const content = await page.getTextContent({ disableNormalization: false });
      const m = viewport.transform as unknown as Matrix;
      const runs: TextRun[] = [];
      for (const item of content.items) {
        if (!('str' in item) || item.str === '') continue;
        const [a, b, c, d, e, f] = item.transform as unknown as Matrix;
        const advanceLength = Math.hypot(a, b) || 1;
        const upLength = Math.hypot(c, d) || 1;
        const glyphHeight = item.height > 0 ? item.height : upLength;
        runs.push({
          text: item.str,
          origin: applyPoint(m, e, f),
          advance: applyVector(m, (a / advanceLength) * item.width, (b / advanceLength) * item.width),
          up: applyVector(m, (c / upLength) * glyphHeight, (d / upLength) * glyphHeight),
        });
      }
      const { text, runOffsets } = joinRuns(runs);
      let hasGraphics = false;
      if (text.trim() === '') {
        const ops = await page.getOperatorList();
        hasGraphics = ops.fnArray.some((fn) => paintOps.has(fn));
      }
      pages.push({ pageNumber, widthPt: viewport.width, heightPt: viewport.height, runs, text, runOffsets, hasGraphics });
      page.cleanup();
    }
    return { pageCount: doc.numPages, pages };
  } catch (error) {
    throw translatePdfJsError(error);
  } finally {
    await doc.destroy();
  }
}

/** Joins runs into page text: a line break when the baseline moves, a space for a visible gap. */
export function joinRuns(runs: readonly TextRun[]): { text: string; runOffsets: [number, number][] } {
  let text = '';
  const runOffsets: [number, number][] = [];
  let previous: TextRun | undefined;
  for (const run of runs) {
    if (previous) {
      const height = Math.max(Math.hypot(...run.up), Math.hypot(...previous.up), 1);
      const previousEnd: [number, number] = [previous.origin[0] + previous.advance[0], previous.origin[1] + previous.advance[1]];
      const dy = Math.abs(run.origin[1] - previous.origin[1]);
      const dx = run.origin[0] - previousEnd[0];
      if (dy > height * 0.5 || dx < -height) text += '\n';
      else if (dx > height * 0.15 && !/\s$/.test(text) && !/^\s/.test(run.text)) text += ' ';
    }
    const start = text.length;
    text += run.text;
    runOffsets.push([start, text.length]);
    previous = run;
  }
  return { text, runOffsets };
}

/**
 * The axis-aligned box covering characters `[from, to)` of a run. Characters are
 * located by width estimates (narrow and wide glyph classes) normalised to the
 * run's real advance; `padPt` widens the box on every side to absorb the error.
 */
export function boxOfRange(run: TextRun, from: number, to: number, padPt = 1.5): Box {
  const weights = [...run.text].map(glyphWeight);
  const total = weights.reduce((sum, w) => sum + w, 0) || 1;
  const start = weights.slice(0, from).reduce((s, w) => s + w, 0) / total;
  const end = weights.slice(0, to).reduce((s, w) => s + w, 0) / total;
  const [ox, oy] = run.origin;
  const [ax, ay] = run.advance;
  const [ux, uy] = run.up;
  // Descenders reach about a quarter of the glyph height below the baseline.
  const corners: [number, number][] = [];
  for (const t of [start, end]) {
    const bx = ox + ax * t;
    const by = oy + ay * t;
    corners.push([bx - ux * 0.3, by - uy * 0.3], [bx + ux, by + uy]);
  }
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const x = Math.min(...xs) - padPt;
  const y = Math.min(...ys) - padPt;
  return { x, y, width: Math.max(...xs) + padPt - x, height: Math.max(...ys) + padPt - y };
}

/** Relative advance of a glyph in a typical proportional font (Helvetica-like). */
function glyphWeight(ch: string): number {
  if (/[il.,:;|!'`´]/.test(ch)) return 0.28;
  if (/[\s]/.test(ch)) return 0.28;
  if (/[fjtrI()[\]\-/]/.test(ch)) return 0.35;
  if (/[mwMW]/.test(ch)) return 0.85;
  if (/[A-ZÄÖÜ]/.test(ch)) return 0.68;
  if (/[0-9]/.test(ch)) return 0.56;
  return 0.55;
}

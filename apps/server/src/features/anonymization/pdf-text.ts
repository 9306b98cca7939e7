import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkPdfStructure,
  extractTextLayer,
  ocrImage,
  PdfError,
  renderPage,
  type OcrResult,
  type PageTextLayer,
  type PdfLimits,
  type StructureCheck,
  type TesseractOptions,
} from '../../adapters/pdf/index.js';
import { defaultConcurrency, mapLimit } from './pdf-pool.js';

/** Everything the PDF steps need from their caller; no setting is read here. */
export interface PdfToolOptions {
  readonly limits: PdfLimits;
  readonly ocr: TesseractOptions;
  /**
   * A private directory inside the protected data root for intermediate files
   * (OCR outputs carry patient data and must not land in a shared /tmp).
   */
  readonly workDir: string;
  /** Pages in flight at once; default one per core. */
  readonly concurrency?: number;
}

/** DPI for OCR of scanned pages at import: small print needs it. */
export const EXTRACTION_OCR_DPI = 300;
/** A page with fewer non-blank characters in its text layer is read by OCR instead. */
export const MIN_TEXT_LAYER_CHARS = 20;

export interface ReportPage {
  readonly pageNumber: number;
  readonly widthPt: number;
  readonly heightPt: number;
  /** Where `text` comes from. */
  readonly source: 'text-layer' | 'ocr' | 'empty';
  readonly text: string;
  readonly layer: PageTextLayer;
  /** The OCR reading (pixel positions at `dpi`) for OCR pages. */
  readonly ocr?: { readonly result: OcrResult; readonly dpi: number };
}

export interface ReportText {
  readonly pages: readonly ReportPage[];
  /** All pages' text, separated by blank lines. */
  readonly text: string;
  readonly structure: StructureCheck;
  readonly ocrPageCount: number;
}

/** Creates a private (0700) scratch directory below `workDir`, removed by `dispose`. */
export async function scratchDir(workDir: string): Promise<{ path: string; dispose: () => Promise<void> }> {
  const path = await mkdtemp(join(workDir, 'lx-pdf-'));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

/**
 * Reads a report PDF's text: the text layer where a page has one, OCR
 * (tesseract on a pdftoppm raster) where it is empty or too short. Structure,
 * encryption, page count and page sizes are checked first; a PDF without any
 * text, image or drawing is refused with `PdfError('no_content')`.
 */
export async function readReportPdf(pdfPath: string, options: PdfToolOptions): Promise<ReportText> {
  const structure = await checkPdfStructure(pdfPath, options.limits);
  const bytes = await readFile(pdfPath);
  const layer = await extractTextLayer(bytes, options.limits);
  const needsOcr = (page: PageTextLayer): boolean => page.text.replace(/\s/g, '').length < MIN_TEXT_LAYER_CHARS && (page.hasGraphics || page.text.trim() !== '');
  if (layer.pages.every((p) => p.text.trim() === '' && !p.hasGraphics)) {
    throw new PdfError('no_content', 'the PDF has neither text nor images on any page');
  }
  const pages = await mapLimit(layer.pages, options.concurrency ?? defaultConcurrency(), async (page): Promise<ReportPage> => {
    const base = { pageNumber: page.pageNumber, widthPt: page.widthPt, heightPt: page.heightPt, layer: page };
    if (!needsOcr(page)) return { ...base, source: page.text.trim() === '' ? 'empty' : 'text-layer', text: page.text };
    const raster = await renderPage(pdfPath, page.pageNumber, { widthPt: page.widthPt, heightPt: page.heightPt }, EXTRACTION_OCR_DPI, options.limits);
    const result = await ocrImage(raster.ppm, raster.dpi, options.ocr);
    // Keep the layer's few characters too: OCR may miss what the layer has.
    const text = page.text.trim() === '' ? result.text : `${result.text}\n${page.text}`;
    return { ...base, source: 'ocr', text, ocr: { result, dpi: raster.dpi } };
  });
  return {
    pages,
    text: pages.map((p) => p.text).join('\n\n'),
    structure,
    ocrPageCount: pages.filter((p) => p.source === 'ocr').length,
  };
}

import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { z } from 'zod';
import { atomicWriteStream } from '../../adapters/storage/index.js';
import { Invalid } from '../../shared/errors.js';
import { assembleImagePdf, boxOfRange, ocrImageWithTextPdf, ppmFromRgb, renderPage, type Box, type OcrResult, type ImagePage } from '../../adapters/pdf/index.js';
import { IdentifierMatcher, mergeHits, type IdentifierField, type IdentifierHit } from './identifiers/index.js';
import { defaultConcurrency, mapLimit } from './pdf-pool.js';
import { scratchDir, type PdfToolOptions, type ReportPage, type ReportText } from './pdf-text.js';

/**
 * A box drawn by a person in the correction UI: 1-based page, PDF points on the
 * displayed page (rotation applied), origin at the top left, as pdf.js reports
 * positions at scale 1.
 */
export const RedactionBox = z.object({
  page: z.number().int().min(1),
  x: z.number().finite(),
  y: z.number().finite(),
  width: z.number().finite().positive(),
  height: z.number().finite().positive(),
});
export type RedactionBox = z.output<typeof RedactionBox>;
export const RedactionBoxes = z.array(RedactionBox).max(10_000);

/** DPI of the rebuilt page images: readable, and OCR of them still works. */
export const REDACTION_DPI = 200;
/** JPEG quality of the rebuilt page images. */
const JPEG_QUALITY = 82;
/** Extra OCR rounds on a burnt page when identifiers are still readable in its pixels. */
const MAX_OCR_CORRECTION_ROUNDS = 2;
/** Padding in points around a box found by OCR. */
const OCR_BOX_PAD_PT = 2;

export interface RedactionSummary {
  readonly pageCount: number;
  /** Boxes from identifiers found in the text layer or OCR at import. */
  readonly automaticBoxes: number;
  readonly humanBoxes: number;
  /** Boxes added because OCR of a burnt page still read an identifier. */
  readonly correctionBoxes: number;
  /** Hits per field (counts only, never values). */
  readonly hitsByField: Partial<Record<IdentifierField, number>>;
  readonly outputBytes: number;
  readonly outputSha256: string;
}

/** Boxes (points, top-left origin) covering `hits` on one page of the report. */
export function boxesForHits(page: ReportPage, hits: readonly IdentifierHit[]): Box[] {
  const boxes: Box[] = [];
  const ocrText = page.ocr?.result.text;
  // On OCR pages the text is the OCR reading, a line break, then the layer's own text.
  const layerShift = page.source === 'ocr' && ocrText !== undefined ? ocrText.length + 1 : 0;
  for (const hit of hits) {
    if (page.ocr && ocrText !== undefined && hit.start < ocrText.length) {
      boxes.push(...ocrWordBoxes(page.ocr.result, page.ocr.dpi, hit.start, Math.min(hit.end, ocrText.length)));
    }
    const start = hit.start - layerShift;
    const end = hit.end - layerShift;
    if (end <= 0) continue;
    page.layer.runOffsets.forEach(([runStart, runEnd], index) => {
      if (runStart < end && start < runEnd) {
        const run = page.layer.runs[index];
        if (run) boxes.push(boxOfRange(run, Math.max(0, start - runStart), Math.min(run.text.length, end - runStart)));
      }
    });
  }
  return boxes;
}

function ocrWordBoxes(ocr: OcrResult, dpi: number, start: number, end: number): Box[] {
  const scale = 72 / dpi;
  const boxes: Box[] = [];
  ocr.wordOffsets.forEach(([wordStart, wordEnd], index) => {
    const word = ocr.words[index];
    if (!word || !(wordStart < end && start < wordEnd)) return;
    boxes.push({
      x: word.left * scale - OCR_BOX_PAD_PT,
      y: word.top * scale - OCR_BOX_PAD_PT,
      width: word.width * scale + 2 * OCR_BOX_PAD_PT,
      height: word.height * scale + 2 * OCR_BOX_PAD_PT,
    });
  });
  return boxes;
}

interface PixelRect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Points to whole pixels, rounded outwards and clipped to the image. */
function toPixels(box: Box, dpi: number, widthPx: number, heightPx: number): PixelRect | undefined {
  const s = dpi / 72;
  const left = Math.max(0, Math.floor(box.x * s));
  const top = Math.max(0, Math.floor(box.y * s));
  const right = Math.min(widthPx, Math.ceil((box.x + box.width) * s));
  const bottom = Math.min(heightPx, Math.ceil((box.y + box.height) * s));
  return right > left && bottom > top ? { left, top, width: right - left, height: bottom - top } : undefined;
}

/** Burns opaque black rectangles into raw RGB pixels; what was under them is gone. */
async function burn(rgb: Buffer, widthPx: number, heightPx: number, rects: readonly PixelRect[]): Promise<Buffer> {
  if (rects.length === 0) return rgb;
  return sharp(rgb, { raw: { width: widthPx, height: heightPx, channels: 3 } })
    .composite(rects.map((r) => ({ input: { create: { width: r.width, height: r.height, channels: 3 as const, background: { r: 0, g: 0, b: 0 } } }, left: r.left, top: r.top })))
    .removeAlpha()
    .raw()
    .toBuffer();
}

/**
 * TRUE redaction: every page is rasterised, the boxes are burnt into the pixels,
 * and the page is rebuilt as a picture with an OCR text layer of what remains.
 *
 * Every page is rasterised, not only the affected ones, on purpose: a kept
 * vector page would carry its fonts, image streams (JPEG EXIF/XMP/comments from
 * scanners), per-page and per-object XMP, optional-content layers and hidden
 * text along; pdf.js may not report all of it, so keeping pages would rest the
 * patient's privacy on our understanding of every PDF feature. A picture page
 * has nothing but what it shows. The text layer is tesseract's invisible PDF
 * text placed over the picture (rather than one we position from TSV): the
 * same OCR run that checks the burnt page yields it, with exact word geometry.
 * If that OCR still reads an identifier (for example in a scanned image), the
 * words are burnt too and the page is read again.
 */
export async function writeRedactedPdf(
  pdfPath: string,
  report: ReportText,
  matcher: IdentifierMatcher,
  humanBoxes: readonly RedactionBox[],
  outputPath: string,
  options: PdfToolOptions,
): Promise<RedactionSummary> {
  for (const box of humanBoxes) {
    if (box.page > report.pages.length) {
      throw new Invalid(`Ein Schwärzungsfeld liegt auf Seite ${box.page}, die PDF-Datei hat aber nur ${report.pages.length} Seiten.`, { page: box.page, page_count: report.pages.length });
    }
  }
  const hitsByField: Partial<Record<IdentifierField, number>> = {};
  let automaticBoxes = 0;
  let correctionBoxes = 0;
  const scratch = await scratchDir(options.workDir);
  try {
    const pages = await mapLimit(report.pages, options.concurrency ?? defaultConcurrency(), async (page): Promise<ImagePage> => {
      const hits = matcher.isEmpty ? [] : mergeHits(matcher.find(page.text));
      for (const hit of hits) hitsByField[hit.field] = (hitsByField[hit.field] ?? 0) + 1;
      const auto = boxesForHits(page, hits);
      automaticBoxes += auto.length;
      const boxes: Box[] = [...auto, ...humanBoxes.filter((b) => b.page === page.pageNumber)];
      const raster = await renderPage(pdfPath, page.pageNumber, { widthPt: page.widthPt, heightPt: page.heightPt }, REDACTION_DPI, options.limits);
      const { widthPx, heightPx, dpi } = raster;
      const rectsOf = (list: readonly Box[]) => list.map((b) => toPixels(b, dpi, widthPx, heightPx)).filter((r): r is PixelRect => r !== undefined);
      let pixels = await burn(raster.ppm.subarray(raster.pixelOffset, raster.pixelOffset + widthPx * heightPx * 3), widthPx, heightPx, rectsOf(boxes));
      let read = await ocrImageWithTextPdf(ppmFromRgb(widthPx, heightPx, pixels), dpi, options.ocr, scratch.path);
      for (let round = 0; round < MAX_OCR_CORRECTION_ROUNDS && !matcher.isEmpty; round += 1) {
        const remaining = matcher.find(read.ocr.text);
        if (remaining.length === 0) break;
        const extra = remaining.flatMap((hit) => ocrWordBoxes(read.ocr, dpi, hit.start, hit.end));
        correctionBoxes += extra.length;
        pixels = await burn(pixels, widthPx, heightPx, rectsOf(extra));
        read = await ocrImageWithTextPdf(ppmFromRgb(widthPx, heightPx, pixels), dpi, options.ocr, scratch.path);
      }
      const jpeg = await sharp(pixels, { raw: { width: widthPx, height: heightPx, channels: 3 } }).jpeg({ quality: JPEG_QUALITY }).toBuffer();
      return { jpeg, textPdf: read.textPdf, widthPt: page.widthPt, heightPt: page.heightPt };
    });
    const bytes = await assembleImagePdf(pages);
    await atomicWriteStream(outputPath, async (handle) => {
      await handle.writeFile(bytes);
    });
    return {
      pageCount: pages.length,
      automaticBoxes,
      humanBoxes: humanBoxes.length,
      correctionBoxes,
      hitsByField,
      outputBytes: bytes.length,
      outputSha256: createHash('sha256').update(bytes).digest('hex'),
    };
  } finally {
    await scratch.dispose();
  }
}

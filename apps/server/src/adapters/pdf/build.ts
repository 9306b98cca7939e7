import { PDFDocument } from 'pdf-lib';
import { PdfError } from './errors.js';

export interface ImagePage {
  /** The page picture as JPEG. */
  readonly jpeg: Uint8Array;
  /** A one-page text-only PDF (tesseract's invisible text layer) laid over the picture. */
  readonly textPdf: Uint8Array;
  /** Size of the page in the output, the source page's displayed size. */
  readonly widthPt: number;
  readonly heightPt: number;
}

/**
 * Builds a fresh document from image pages. Nothing of any source document is
 * copied: no Info entries but the producer, no XMP, annotations, form,
 * attachments, outlines, JavaScript, page labels or structure tree can survive,
 * because the new catalog never had them.
 */
export async function assembleImagePdf(pages: readonly ImagePage[]): Promise<Uint8Array> {
  if (pages.length === 0) throw new PdfError('no_content', 'no pages to assemble');
  const out = await PDFDocument.create({ updateMetadata: false });
  out.setProducer('lx-annotate');
  for (const page of pages) {
    const picture = await out.embedJpg(page.jpeg);
    const textLayer = await PDFDocument.load(page.textPdf, { updateMetadata: false });
    const [text] = await out.embedPdf(textLayer, [0]);
    if (!text) throw new PdfError('tool_failed', 'an OCR text layer PDF had no page');
    const target = out.addPage([page.widthPt, page.heightPt]);
    target.drawImage(picture, { x: 0, y: 0, width: page.widthPt, height: page.heightPt });
    target.drawPage(text, { x: 0, y: 0, width: page.widthPt, height: page.heightPt });
  }
  return out.save({ useObjectStreams: true });
}

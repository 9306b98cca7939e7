import { PdfError } from './errors.js';
import { renderDpiFor, type PageSize, type PdfLimits } from './limits.js';
import { runTool } from './run-tool.js';

/** A rendered page as binary PPM (P6, 8-bit RGB): cheap to produce, edit and hand to tesseract. */
export interface RenderedPage {
  readonly pageNumber: number;
  readonly dpi: number;
  readonly widthPx: number;
  readonly heightPx: number;
  /** The whole PPM file (header and pixels). */
  readonly ppm: Buffer;
  /** Offset of the first pixel byte in `ppm`. */
  readonly pixelOffset: number;
}

/**
 * Rasterises one page with poppler's pdftoppm (crop box, rotation applied: the
 * geometry pdf.js reports). The DPI is lowered for very large pages so that the
 * raster stays within `limits.maxPixelsPerPage`.
 */
export async function renderPage(pdfPath: string, pageNumber: number, size: PageSize, wantedDpi: number, limits: PdfLimits): Promise<RenderedPage> {
  const dpi = renderDpiFor(pageNumber, size, wantedDpi, limits);
  const page = String(pageNumber);
  const run = await runTool('pdftoppm', ['-cropbox', '-r', String(dpi), '-f', page, '-l', page, '-singlefile', pdfPath], {
    timeoutMs: limits.toolTimeoutMs,
    maxStdoutBytes: limits.maxPixelsPerPage * 3 + 1024,
  });
  if (run.code !== 0 || run.stdout.length < 16) {
    throw new PdfError('tool_failed', `pdftoppm failed on page ${pageNumber} (exit ${run.code}): ${firstLine(run.stderr)}`);
  }
  const header = parsePpmHeader(run.stdout);
  return { pageNumber, dpi, widthPx: header.width, heightPx: header.height, ppm: run.stdout, pixelOffset: header.pixelOffset };
}

/** Parses a binary PPM header (`P6 <w> <h> 255`, comments allowed). */
export function parsePpmHeader(ppm: Buffer): { width: number; height: number; pixelOffset: number } {
  let offset = 0;
  const fields: string[] = [];
  while (fields.length < 4 && offset < Math.min(ppm.length, 512)) {
    const ch = ppm[offset] as number;
    if (ch === 0x23) {
      while (offset < ppm.length && ppm[offset] !== 0x0a) offset += 1;
    } else if (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) {
      offset += 1;
    } else {
      const start = offset;
      while (offset < ppm.length && ![0x20, 0x0a, 0x0d, 0x09].includes(ppm[offset] as number)) offset += 1;
      fields.push(ppm.toString('latin1', start, offset));
    }
  }
  const [magic, w, h, max] = fields;
  const width = Number(w);
  const height = Number(h);
  const pixelOffset = offset + 1;
  if (magic !== 'P6' || max !== '255' || !(width > 0) || !(height > 0) || ppm.length < pixelOffset + width * height * 3) {
    throw new PdfError('tool_failed', 'the renderer did not produce an 8-bit RGB PPM image');
  }
  return { width, height, pixelOffset };
}

/** A PPM file for raw RGB pixels. */
export function ppmFromRgb(width: number, height: number, rgb: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`, 'latin1'), rgb]);
}

export function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 200) ?? '(no message)';
}

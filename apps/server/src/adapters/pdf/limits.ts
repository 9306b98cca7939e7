import { PdfError } from './errors.js';

/**
 * Bounds that keep one hostile or accidental PDF (a "PDF bomb": a huge page
 * count, a page of several square metres, a gigantic file) from exhausting the
 * worker. Every adapter call takes them; defaults suit clinical reports.
 */
export interface PdfLimits {
  /** Largest accepted file in bytes. */
  readonly maxBytes: number;
  /** Largest accepted page count. */
  readonly maxPages: number;
  /** Longest accepted page side in PDF points (1/72 inch); A0 is 3370 pt. */
  readonly maxPageSidePoints: number;
  /** Largest raster of one page in pixels; the DPI is lowered to stay below it. */
  readonly maxPixelsPerPage: number;
  /** Below this DPI a page is refused instead of rendered unreadably small. */
  readonly minDpi: number;
  /** Upper bound for one external tool run (pdftoppm, tesseract, qpdf). */
  readonly toolTimeoutMs: number;
}

export const DEFAULT_PDF_LIMITS: PdfLimits = {
  maxBytes: 200 * 1024 * 1024,
  maxPages: 300,
  maxPageSidePoints: 14_400,
  maxPixelsPerPage: 40_000_000,
  minDpi: 72,
  toolTimeoutMs: 120_000,
};

/** Merges overrides into the defaults, rejecting nonsense early. */
export function pdfLimits(overrides: Partial<PdfLimits> = {}): PdfLimits {
  const limits = { ...DEFAULT_PDF_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`pdf limit ${key} must be a positive number`);
  }
  return limits;
}

export interface PageSize {
  readonly widthPt: number;
  readonly heightPt: number;
}

/** Refuses a page whose size is absurd before anything renders it. */
export function checkPageSize(pageNumber: number, size: PageSize, limits: PdfLimits): void {
  const { widthPt, heightPt } = size;
  if (!(widthPt > 0 && heightPt > 0) || widthPt > limits.maxPageSidePoints || heightPt > limits.maxPageSidePoints) {
    throw new PdfError(
      'page_too_large',
      `page ${pageNumber} is ${Math.round(widthPt)}x${Math.round(heightPt)} pt; the limit is ${limits.maxPageSidePoints} pt per side`,
    );
  }
}

/**
 * The DPI to render a page at: the wanted one, lowered so that the raster stays
 * under `maxPixelsPerPage`. A page that would need less than `minDpi` is refused.
 */
export function renderDpiFor(pageNumber: number, size: PageSize, wantedDpi: number, limits: PdfLimits): number {
  checkPageSize(pageNumber, size, limits);
  const pixelsAt = (dpi: number): number => Math.ceil((size.widthPt / 72) * dpi) * Math.ceil((size.heightPt / 72) * dpi);
  if (pixelsAt(wantedDpi) <= limits.maxPixelsPerPage) return wantedDpi;
  const fitting = Math.floor(Math.sqrt(limits.maxPixelsPerPage / ((size.widthPt / 72) * (size.heightPt / 72))));
  if (fitting < limits.minDpi) {
    throw new PdfError('page_too_large', `page ${pageNumber} would need ${fitting} dpi to stay under ${limits.maxPixelsPerPage} pixels`);
  }
  return fitting;
}

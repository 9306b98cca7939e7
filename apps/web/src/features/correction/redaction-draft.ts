/**
 * Redaction boxes drawn over PDF pages, in PDF points with a top-left origin and pages from 1,
 * exactly as `media/pdfs/<id>/apply-redactions/` takes them. Undo works across pages.
 */
export interface RedactionBox {
  readonly page: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Boxes smaller than this (points) are treated as stray clicks. */
export const MIN_BOX_POINTS = 3;

/** A box from two corners in canvas pixels at `scale` pixels per point; undefined when too small. */
export function boxFromDrag(page: number, ax: number, ay: number, bx: number, by: number, scale: number): RedactionBox | undefined {
  const x = Math.min(ax, bx) / scale;
  const y = Math.min(ay, by) / scale;
  const width = Math.abs(bx - ax) / scale;
  const height = Math.abs(by - ay) / scale;
  if (width < MIN_BOX_POINTS || height < MIN_BOX_POINTS) return undefined;
  const r = (v: number): number => Math.round(v * 100) / 100;
  return { page, x: r(Math.max(0, x)), y: r(Math.max(0, y)), width: r(width), height: r(height) };
}

export class RedactionDraft {
  private boxes: RedactionBox[] = [];
  private readonly history: RedactionBox[][] = [];

  private change(next: RedactionBox[]): void {
    this.history.push(this.boxes);
    this.boxes = next;
  }

  add(box: RedactionBox): void {
    this.change([...this.boxes, box]);
  }

  /** Removes the most recently drawn box (on any page) or reverts the last clear. */
  undo(): boolean {
    const previous = this.history.pop();
    if (!previous) return false;
    this.boxes = previous;
    return true;
  }

  clearPage(page: number): void {
    if (this.boxes.some((b) => b.page === page)) this.change(this.boxes.filter((b) => b.page !== page));
  }

  clearAll(): void {
    if (this.boxes.length > 0) this.change([]);
  }

  onPage(page: number): RedactionBox[] {
    return this.boxes.filter((b) => b.page === page);
  }

  all(): RedactionBox[] {
    return [...this.boxes];
  }

  get count(): number {
    return this.boxes.length;
  }
}

import { describe, expect, it } from 'vitest';
import { boxFromDrag, RedactionDraft } from './redaction-draft';

describe('PDF redaction boxes', () => {
  it('converts a drag in canvas pixels to PDF points with a top-left origin, in any direction', () => {
    expect(boxFromDrag(2, 300, 200, 100, 100, 2)).toEqual({ page: 2, x: 50, y: 50, width: 100, height: 50 });
    expect(boxFromDrag(1, 10, 10, 14, 40, 2)).toBeUndefined();
    expect(boxFromDrag(1, -10, 0, 30, 30, 1)).toEqual({ page: 1, x: 0, y: 0, width: 40, height: 30 });
  });

  it('undoes adds and clears across pages', () => {
    const d = new RedactionDraft();
    d.add({ page: 1, x: 0, y: 0, width: 10, height: 10 });
    d.add({ page: 2, x: 5, y: 5, width: 10, height: 10 });
    d.add({ page: 1, x: 20, y: 20, width: 10, height: 10 });
    expect(d.onPage(1)).toHaveLength(2);
    d.clearPage(1);
    expect(d.count).toBe(1);
    d.undo();
    expect(d.onPage(1)).toHaveLength(2);
    d.clearAll();
    expect(d.count).toBe(0);
    d.undo();
    d.undo();
    expect(d.all().map((b) => b.page)).toEqual([1, 2]);
    expect(d.undo()).toBe(true);
    expect(d.undo()).toBe(true);
    expect(d.undo()).toBe(false);
  });
});

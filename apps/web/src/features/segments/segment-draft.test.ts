import { describe, expect, it } from 'vitest';
import { SegmentDraft, type DraftSegment } from './segment-draft';

const saved = (id: number, labelId: number, startFrame: number, endFrame: number): DraftSegment => ({ key: `s${id}`, id, labelId, startFrame, endFrame });
const draft = (segments: DraftSegment[] = [], frameCount = 1000) => new SegmentDraft({ fps: 25, frameCount, minDurationSeconds: 1 }, segments);

describe('SegmentDraft', () => {
  it('creates by range in either direction, snapped to whole frames and stretched to the minimum duration', () => {
    const d = draft();
    const a = d.create(1, 40.6, 10.2)!;
    expect(d.get(a)).toMatchObject({ startFrame: 10, endFrame: 41, id: null, labelId: 1 });
    const b = d.create(2, 100, 105)!;
    expect(d.get(b)).toMatchObject({ startFrame: 100, endFrame: 125 });
    const c = d.create(2, 990, 995)!;
    expect(d.get(c)).toMatchObject({ startFrame: 975, endFrame: 1000 });
    expect(draft([], 10).create(1, 0, 5)).toBeUndefined();
  });

  it('drags: move keeps the length inside the video; resizes respect the minimum; one undo step per drag', () => {
    const d = draft([saved(1, 1, 100, 200)]);
    d.beginDrag('s1', 'move', 150);
    d.updateDrag(170);
    expect(d.get('s1')).toMatchObject({ startFrame: 120, endFrame: 220 });
    d.updateDrag(5000);
    expect(d.get('s1')).toMatchObject({ startFrame: 900, endFrame: 1000 });
    d.endDrag();
    d.beginDrag('s1', 'resize-start', 900);
    d.updateDrag(990);
    expect(d.get('s1')).toMatchObject({ startFrame: 975, endFrame: 1000 });
    d.endDrag();
    d.beginDrag('s1', 'resize-end', 1000);
    d.updateDrag(0);
    expect(d.get('s1')).toMatchObject({ startFrame: 975, endFrame: 1000 });
    d.endDrag(); // nothing moved: no undo step
    expect(d.undo()).toBe(true);
    expect(d.get('s1')).toMatchObject({ startFrame: 900, endFrame: 1000 });
    expect(d.undo()).toBe(true);
    expect(d.get('s1')).toMatchObject({ startFrame: 100, endFrame: 200 });
    expect(d.undo()).toBe(false);
    expect(d.redo()).toBe(true);
    expect(d.get('s1')).toMatchObject({ startFrame: 900, endFrame: 1000 });
  });

  it('cancelling a drag restores the segment', () => {
    const d = draft([saved(1, 1, 100, 200)]);
    d.beginDrag('s1', 'resize-end', 200);
    d.updateDrag(300);
    d.cancelDrag();
    expect(d.get('s1')).toMatchObject({ endFrame: 200 });
    expect(d.dirty).toBe(false);
  });

  it('undoes a delete and a paste; copy/paste keeps label and length at the playhead', () => {
    const d = draft([saved(1, 3, 100, 160)]);
    expect(d.copy('s1')).toBe(true);
    const pasted = d.paste(500)!;
    expect(d.get(pasted)).toMatchObject({ labelId: 3, startFrame: 500, endFrame: 560, id: null });
    expect(d.get(d.paste(990)!)).toMatchObject({ startFrame: 940, endFrame: 1000 });
    d.remove('s1');
    expect(d.get('s1')).toBeUndefined();
    d.undo();
    expect(d.get('s1')).toMatchObject({ startFrame: 100 });
    d.undo();
    d.undo();
    expect(d.get(pasted)).toBeUndefined();
    expect(d.size).toBe(1);
  });

  it('exact entry refuses reversed and too short ranges', () => {
    const d = draft([saved(1, 1, 100, 200)]);
    expect(d.setRange('s1', 300, 200)).toBe(false);
    expect(d.setRange('s1', 300, 310)).toBe(false);
    expect(d.setRange('s1', 300, 400)).toBe(true);
    expect(d.get('s1')).toMatchObject({ startFrame: 300, endFrame: 400 });
  });

  it('jumps between segment boundaries', () => {
    const d = draft([saved(1, 1, 100, 200), saved(2, 2, 150, 400)]);
    expect(d.boundary(0, 1)).toBe(100);
    expect(d.boundary(100, 1)).toBe(150);
    expect(d.boundary(200, 1)).toBe(400);
    expect(d.boundary(400, 1)).toBeUndefined();
    expect(d.boundary(160, -1)).toBe(150);
    expect(d.at(175).map((s) => s.key).sort()).toEqual(['s1', 's2']);
  });

  it('turns local edits into one bulk mutation and is clean after reset', () => {
    const d = draft([saved(1, 1, 100, 200), saved(2, 2, 300, 400), saved(3, 3, 500, 600)]);
    expect(d.dirty).toBe(false);
    d.setRange('s1', 110, 200);
    d.relabel('s2', 5);
    d.remove('s3');
    const created = d.create(4, 700, 800)!;
    expect(d.toBulk()).toEqual({
      creates: [{ clientId: created, labelId: 4, startFrameNumber: 700, endFrameNumber: 800 }],
      updates: [
        { id: 1, labelId: 1, startFrameNumber: 110, endFrameNumber: 200 },
        { id: 2, labelId: 5, startFrameNumber: 300, endFrameNumber: 400 },
      ],
      deletes: [3],
    });
    expect(d.pendingChangeCount()).toBe(4);
    d.setRange('s1', 100, 200);
    expect(d.toBulk().updates).toHaveLength(1);
    d.reset([saved(1, 1, 100, 200)]);
    expect(d.dirty).toBe(false);
    expect(d.canUndo).toBe(false);
  });

  it('rebases own edits onto a newer server state after a conflict', () => {
    const d = draft([saved(1, 1, 100, 200), saved(2, 2, 300, 400)]);
    d.setRange('s1', 120, 220);
    d.setRange('s2', 320, 420);
    const mine = d.create(3, 700, 800)!;
    // Meanwhile someone else deleted 2 and added 9.
    d.rebase([saved(1, 1, 100, 250), saved(9, 4, 10, 50)]);
    const bulk = d.toBulk();
    expect(bulk.updates).toEqual([{ id: 1, labelId: 1, startFrameNumber: 120, endFrameNumber: 220 }]);
    expect(bulk.deletes).toEqual([]);
    expect(bulk.creates.map((c) => [c.labelId, c.startFrameNumber])).toEqual([
      [2, 320],
      [3, 700],
    ]);
    expect(d.get('s9')).toBeDefined();
    expect(d.get(mine)).toBeDefined();
  });

  it('handles 5,000 segments quickly enough for interactive dragging', () => {
    const many = Array.from({ length: 5000 }, (_, i) => saved(i + 1, i % 14, i * 10, i * 10 + 8));
    const d = new SegmentDraft({ fps: 50, frameCount: 60_000, minDurationSeconds: 0.1 }, many);
    const t0 = performance.now();
    d.beginDrag('s2500', 'move', 25_000);
    for (let f = 0; f < 200; f++) d.updateDrag(25_000 + f);
    d.endDrag();
    expect(performance.now() - t0).toBeLessThan(200);
    expect(d.toBulk().updates).toHaveLength(1);
  });
});

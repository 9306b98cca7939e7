import { secondsToFrame } from '../../shared/frames';

/**
 * The local draft of one video's manual segments: every edit of the timeline goes through here,
 * is undoable, and the difference to the server's state becomes one bulk mutation.
 * Frames throughout; `[startFrame, endFrame]` inclusive of the start, exclusive of the end.
 */
export interface DraftSegment {
  /** Stable key: `s<id>` for saved segments, `c<n>` for new ones (also the bulk `clientId`). */
  readonly key: string;
  readonly id: number | null;
  readonly labelId: number;
  readonly startFrame: number;
  readonly endFrame: number;
  readonly annotator?: string | null;
  readonly validated?: boolean;
  /** Server version the edit is based on (a stale version answers 409). */
  readonly version?: number;
}

export type DragMode = 'move' | 'resize-start' | 'resize-end';

interface Change {
  readonly key: string;
  readonly before: DraftSegment | undefined;
  readonly after: DraftSegment | undefined;
}

export interface BulkMutation {
  creates: { clientId: string; labelId: number; startFrameNumber: number; endFrameNumber: number }[];
  updates: { id: number; labelId: number; startFrameNumber: number; endFrameNumber: number; version?: number }[];
  deletes: number[];
}

export interface DraftOptions {
  readonly fps: number;
  readonly frameCount: number;
  /** Shortest allowed segment (LABEL_VIDEO_SEGMENT_MIN_DURATION_S_FOR_ANNOTATION). */
  readonly minDurationSeconds: number;
}

let clientCounter = 0;
const nextClientKey = (): string => `c${Date.now().toString(36)}${(clientCounter++).toString(36)}`;

export class SegmentDraft {
  private readonly segments = new Map<string, DraftSegment>();
  private baseline = new Map<string, DraftSegment>();
  private readonly undoStack: Change[][] = [];
  private readonly redoStack: Change[][] = [];
  private clipboard: DraftSegment | undefined;
  private drag: { key: string; mode: DragMode; grabFrame: number; origin: DraftSegment } | undefined;
  /** Bumped on every change: cheap change detection for renderers. */
  version = 0;

  constructor(
    private options: DraftOptions,
    saved: readonly DraftSegment[] = [],
  ) {
    this.reset(saved);
  }

  get fps(): number {
    return this.options.fps;
  }
  get frameCount(): number {
    return this.options.frameCount;
  }
  get minFrames(): number {
    return Math.max(1, secondsToFrame(this.options.minDurationSeconds, this.options.fps));
  }
  get size(): number {
    return this.segments.size;
  }

  /** Replaces both the draft and the baseline with the server's state (load, after save, discard). */
  reset(saved: readonly DraftSegment[], options?: DraftOptions): void {
    if (options) this.options = options;
    this.segments.clear();
    for (const s of saved) this.segments.set(s.key, s);
    this.baseline = new Map(this.segments);
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.drag = undefined;
    this.version++;
  }

  get(key: string): DraftSegment | undefined {
    return this.segments.get(key);
  }

  /** Iterates without copying (renderers, 60 times a second). */
  values(): IterableIterator<DraftSegment> {
    return this.segments.values();
  }

  list(): DraftSegment[] {
    return [...this.segments.values()];
  }

  /** Segments sorted by start, for lists and boundary jumps. */
  sorted(): DraftSegment[] {
    return this.list().sort((a, b) => a.startFrame - b.startFrame || a.endFrame - b.endFrame);
  }

  get dirty(): boolean {
    return this.pendingChangeCount() > 0;
  }

  pendingChangeCount(): number {
    const m = this.toBulk();
    return m.creates.length + m.updates.length + m.deletes.length;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Snaps any frame into the video and to whole frames. */
  clampFrame(frame: number): number {
    return Math.min(this.frameCount, Math.max(0, Math.round(frame)));
  }

  private apply(changes: Change[], record = true): void {
    if (changes.length === 0) return;
    for (const c of changes) {
      if (c.after) this.segments.set(c.key, c.after);
      else this.segments.delete(c.key);
    }
    if (record) {
      this.undoStack.push(changes);
      if (this.undoStack.length > 200) this.undoStack.shift();
      this.redoStack.length = 0;
    }
    this.version++;
  }

  /** A segment of `labelId` over `[a, b]` (any order), at least the minimum duration. Undefined if the video is too short. */
  create(labelId: number, a: number, b: number, annotator?: string | null): string | undefined {
    let start = this.clampFrame(Math.min(a, b));
    let end = this.clampFrame(Math.max(a, b));
    if (end - start < this.minFrames) {
      end = Math.min(this.frameCount, start + this.minFrames);
      start = Math.max(0, end - this.minFrames);
      if (end - start < this.minFrames) return undefined;
    }
    const key = nextClientKey();
    this.apply([{ key, before: undefined, after: { key, id: null, labelId, startFrame: start, endFrame: end, annotator: annotator ?? null } }]);
    return key;
  }

  remove(key: string): boolean {
    const before = this.segments.get(key);
    if (!before) return false;
    this.apply([{ key, before, after: undefined }]);
    return true;
  }

  relabel(key: string, labelId: number): void {
    const before = this.segments.get(key);
    if (!before || before.labelId === labelId) return;
    this.apply([{ key, before, after: { ...before, labelId } }]);
  }

  /** Exact start/end entry; refused (false) when the range is reversed or shorter than the minimum. */
  setRange(key: string, startFrame: number, endFrame: number): boolean {
    const before = this.segments.get(key);
    if (!before) return false;
    const start = this.clampFrame(startFrame);
    const end = this.clampFrame(endFrame);
    if (end - start < this.minFrames) return false;
    if (start === before.startFrame && end === before.endFrame) return true;
    this.apply([{ key, before, after: { ...before, startFrame: start, endFrame: end } }]);
    return true;
  }

  /** Where a drag of `origin` in `mode` ends when the pointer moved by `delta` frames. */
  private dragged(origin: DraftSegment, mode: DragMode, delta: number): DraftSegment {
    const min = this.minFrames;
    if (mode === 'move') {
      const length = origin.endFrame - origin.startFrame;
      const start = Math.min(Math.max(0, origin.startFrame + delta), this.frameCount - length);
      return { ...origin, startFrame: start, endFrame: start + length };
    }
    if (mode === 'resize-start') {
      const start = Math.min(Math.max(0, origin.startFrame + delta), origin.endFrame - min);
      return { ...origin, startFrame: start };
    }
    const end = Math.max(Math.min(this.frameCount, origin.endFrame + delta), origin.startFrame + min);
    return { ...origin, endFrame: end };
  }

  beginDrag(key: string, mode: DragMode, pointerFrame: number): boolean {
    const origin = this.segments.get(key);
    if (!origin) return false;
    this.drag = { key, mode, grabFrame: Math.round(pointerFrame), origin };
    return true;
  }

  /** Moves the dragged segment live (not yet an undo step). */
  updateDrag(pointerFrame: number): void {
    if (!this.drag) return;
    const next = this.dragged(this.drag.origin, this.drag.mode, Math.round(pointerFrame) - this.drag.grabFrame);
    this.segments.set(this.drag.key, next);
    this.version++;
  }

  /** Ends the drag: one undo step when something moved. */
  endDrag(): void {
    const d = this.drag;
    if (!d) return;
    this.drag = undefined;
    const after = this.segments.get(d.key);
    if (!after || (after.startFrame === d.origin.startFrame && after.endFrame === d.origin.endFrame)) return;
    this.segments.set(d.key, d.origin);
    this.apply([{ key: d.key, before: d.origin, after }]);
  }

  cancelDrag(): void {
    if (!this.drag) return;
    this.segments.set(this.drag.key, this.drag.origin);
    this.drag = undefined;
    this.version++;
  }

  get dragging(): boolean {
    return this.drag !== undefined;
  }

  /** Key of the segment being dragged (renderers cache everything else meanwhile). */
  get dragKey(): string | undefined {
    return this.drag?.key;
  }

  undo(): boolean {
    const changes = this.undoStack.pop();
    if (!changes) return false;
    this.apply(
      [...changes].reverse().map((c) => ({ key: c.key, before: c.after, after: c.before })),
      false,
    );
    this.redoStack.push(changes);
    return true;
  }

  redo(): boolean {
    const changes = this.redoStack.pop();
    if (!changes) return false;
    this.apply(changes, false);
    this.undoStack.push(changes);
    return true;
  }

  copy(key: string): boolean {
    const s = this.segments.get(key);
    if (!s) return false;
    this.clipboard = s;
    return true;
  }

  get hasClipboard(): boolean {
    return this.clipboard !== undefined;
  }

  /** Pastes the copied segment (same label and length) starting at `atFrame`, moved inside the video. */
  paste(atFrame: number, annotator?: string | null): string | undefined {
    const c = this.clipboard;
    if (!c) return undefined;
    const length = c.endFrame - c.startFrame;
    const start = Math.min(this.clampFrame(atFrame), Math.max(0, this.frameCount - length));
    return this.create(c.labelId, start, start + length, annotator);
  }

  /** The nearest segment boundary strictly after (`+1`) or before (`-1`) `frame`. */
  boundary(frame: number, direction: 1 | -1): number | undefined {
    let best: number | undefined;
    for (const s of this.segments.values()) {
      for (const b of [s.startFrame, s.endFrame]) {
        if (direction > 0 ? b > frame && (best === undefined || b < best) : b < frame && (best === undefined || b > best)) best = b;
      }
    }
    return best;
  }

  /** Segments under `frame`, e.g. to select by clicking or to play one segment. */
  at(frame: number, labelId?: number): DraftSegment[] {
    return this.list().filter((s) => s.startFrame <= frame && frame < s.endFrame && (labelId === undefined || s.labelId === labelId));
  }

  /** The difference to the baseline as the `segments/bulk/` body (without annotator and options). */
  toBulk(): BulkMutation {
    const out: BulkMutation = { creates: [], updates: [], deletes: [] };
    for (const s of this.segments.values()) {
      const base = this.baseline.get(s.key);
      if (s.id === null || !base) {
        out.creates.push({ clientId: s.key, labelId: s.labelId, startFrameNumber: s.startFrame, endFrameNumber: s.endFrame });
      } else if (base.startFrame !== s.startFrame || base.endFrame !== s.endFrame || base.labelId !== s.labelId) {
        out.updates.push({ id: s.id, labelId: s.labelId, startFrameNumber: s.startFrame, endFrameNumber: s.endFrame, ...(base.version !== undefined ? { version: base.version } : {}) });
      }
    }
    for (const [key, base] of this.baseline) if (!this.segments.has(key) && base.id !== null) out.deletes.push(base.id);
    return out;
  }

  /**
   * After a 409: takes the server's newer state as the baseline and re-applies this draft's own
   * edits on top (segments the other side deleted stay deleted unless edited here), so that
   * "Überschreiben" saves exactly the user's intent.
   */
  rebase(server: readonly DraftSegment[]): void {
    const mine = this.toBulk();
    const next = new Map<string, DraftSegment>(server.map((s) => [s.key, s]));
    for (const u of mine.updates) {
      const key = `s${u.id}`;
      const onServer = next.get(key);
      const edited = this.segments.get(key);
      if (onServer) next.set(key, { ...onServer, labelId: u.labelId, startFrame: u.startFrameNumber, endFrame: u.endFrameNumber });
      else if (edited) {
        // Deleted on the other side but edited here: the user's version comes back as a new segment.
        const fresh = nextClientKey();
        next.set(fresh, { ...edited, key: fresh, id: null });
      }
    }
    for (const id of mine.deletes) next.delete(`s${id}`);
    for (const c of mine.creates) {
      const s = this.segments.get(c.clientId);
      if (s) next.set(c.clientId, s);
    }
    this.baseline = new Map(server.map((s) => [s.key, s]));
    this.segments.clear();
    for (const [k, v] of next) this.segments.set(k, v);
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.version++;
  }
}

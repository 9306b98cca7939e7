import type { Viewport } from './timeline-geometry';

/** Videos up to this length show no preview unless zoomed: the whole timeline fits the player. */
export const SCRUB_MIN_SECONDS = 60;
/** One preview image per this many timeline pixels: neighbouring pointer positions share it. */
export const SCRUB_BUCKET_PX = 8;
export const SCRUB_THROTTLE_MS = 150;
export const SCRUB_CACHE_ENTRIES = 120;

/** Previews help only where the timeline is dense: a long video, or any zoomed-in view. */
export function scrubEnabled(v: Viewport, frameCount: number, fps: number): boolean {
  if (frameCount <= 1 || fps <= 0) return false;
  return frameCount / fps > SCRUB_MIN_SECONDS || v.endFrame - v.startFrame < frameCount;
}

/** Frames per preview bucket at the current zoom (at least 1). */
export const bucketSize = (v: Viewport, bucketPx = SCRUB_BUCKET_PX): number => Math.max(1, Math.ceil(((v.endFrame - v.startFrame) / Math.max(1, v.widthPx)) * bucketPx));

/** The frame whose image stands for every frame of its bucket: the bucket's first, inside the video. */
export const bucketFrame = (frame: number, size: number, frameCount: number): number =>
  Math.min(Math.max(0, frameCount - 1), Math.max(0, Math.floor(frame / Math.max(1, size)) * Math.max(1, size)));

export interface ScrubPreviewOptions {
  /** Loads one frame image and returns a URL an <img> can show (an object URL). */
  load(frame: number): Promise<string>;
  /** Frees a URL from `load` once it left the cache. */
  release(url: string): void;
  /** Called with the image to show (and its frame). */
  show(frame: number, url: string): void;
  throttleMs?: number;
  maxEntries?: number;
}

/** Frame images fetched with the session cookie and kept as object URLs (freed on eviction). */
export function frameImageLoader(urlOf: (frame: number) => string): Pick<ScrubPreviewOptions, 'load' | 'release'> {
  return {
    load: async (frame) => {
      const r = await fetch(urlOf(frame), { credentials: 'same-origin' });
      if (!r.ok) throw new Error(`Bild ${frame}: HTTP ${r.status}`);
      return URL.createObjectURL(await r.blob());
    },
    release: (url) => URL.revokeObjectURL(url),
  };
}

/**
 * Hover previews: cached images show at once; new frames are fetched at most once per
 * `throttleMs`, the last position wanted during the pause is fetched when it ends (trailing).
 */
export class ScrubPreview {
  private readonly cache = new Map<number, string>();
  private readonly throttleMs: number;
  private readonly maxEntries: number;
  private lastFetch = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private wanted: number | undefined;
  private disposed = false;

  constructor(private readonly options: ScrubPreviewOptions) {
    this.throttleMs = options.throttleMs ?? SCRUB_THROTTLE_MS;
    this.maxEntries = options.maxEntries ?? SCRUB_CACHE_ENTRIES;
  }

  /** The pointer is over `frame` (already bucketed). */
  hover(frame: number): void {
    this.wanted = frame;
    const cached = this.cache.get(frame);
    if (cached !== undefined) {
      // Most recently used last: eviction takes the oldest.
      this.cache.delete(frame);
      this.cache.set(frame, cached);
      this.options.show(frame, cached);
      return;
    }
    const wait = this.lastFetch + this.throttleMs - Date.now();
    if (wait <= 0) this.fetch(frame);
    else this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.wanted !== undefined) this.hover(this.wanted);
    }, wait);
  }

  /** The pointer left: nothing further is fetched for it. */
  leave(): void {
    this.wanted = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.leave();
    this.disposed = true;
    for (const url of this.cache.values()) this.options.release(url);
    this.cache.clear();
  }

  get cachedFrames(): number[] {
    return [...this.cache.keys()];
  }

  private fetch(frame: number): void {
    this.lastFetch = Date.now();
    this.options.load(frame).then(
      (url) => {
        if (this.disposed) return this.options.release(url);
        const old = this.cache.get(frame);
        if (old !== undefined && old !== url) this.options.release(old);
        this.cache.set(frame, url);
        while (this.cache.size > this.maxEntries) {
          const [oldest, oldUrl] = this.cache.entries().next().value as [number, string];
          this.cache.delete(oldest);
          this.options.release(oldUrl);
        }
        if (this.wanted === frame) this.options.show(frame, url);
      },
      () => undefined, // A frame that cannot be loaded simply shows no preview.
    );
  }
}

import { encodeVideo, type FrameRange } from './mask-render.js';
import type { MediaTools } from './tools.js';

export interface BlackenFramesOptions {
  readonly input: string;
  readonly output: string;
  /** Inclusive frame ranges (FrameIndex numbering: `n` counts decoded frames) turned fully black. */
  readonly ranges: readonly FrameRange[];
  readonly preset?: string;
  readonly crf?: number;
  readonly threads?: number;
  readonly signal?: AbortSignal;
}

/** The filter that paints whole frames black inside the ranges and leaves every other frame as it is. */
export function blackenFilter(ranges: readonly FrameRange[]): string {
  if (ranges.length === 0) return 'format=yuv420p';
  const enable = ranges.map((r) => `between(n,${r.startFrame},${r.endFrame})`).join('+');
  return `drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='${enable}',format=yuv420p`;
}

/** Re-encodes a video with the given frames black: same frame count and timestamps, no metadata, written atomically. */
export async function blackenFrameRanges(tools: MediaTools, options: BlackenFramesOptions): Promise<{ durationSeconds: number }> {
  return encodeVideo(tools, { ...options, filter: blackenFilter(options.ranges), audio: 'copy', mode: 0o600 });
}

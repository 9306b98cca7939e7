/**
 * The one place that converts between frames and seconds. Segments are stored as frame numbers
 * and edited in seconds; every conversion snaps to a whole frame.
 */
export const DEFAULT_FPS = 50;

export const secondsToFrame = (seconds: number, fps: number): number => Math.max(0, Math.round(seconds * fps));
export const frameToSeconds = (frame: number, fps: number): number => frame / fps;

/** `mm:ss.ff` (minutes, seconds, frame within the second) for labels and inputs. */
export function formatFrame(frame: number, fps: number): string {
  const totalSeconds = Math.floor(frame / fps);
  const rest = frame - totalSeconds * fps;
  const m = Math.floor(totalSeconds / 60);
  const s = totalSeconds % 60;
  return `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(Math.round(rest)).padStart(2, '0')}`;
}

/** Parses `mm:ss`, `mm:ss.ff`, `ss.s` (decimal seconds) or `hh:mm:ss` into a frame; undefined when malformed. */
export function parseTimecode(text: string, fps: number): number | undefined {
  const t = text.trim().replace(',', '.');
  if (/^\d+(\.\d+)?$/.test(t)) return secondsToFrame(Number(t), fps);
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d{1,2}))?$/.exec(t);
  if (!m) return undefined;
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  if (Number(m[3]) >= 60) return undefined;
  const frames = m[4] === undefined ? 0 : Number(m[4]);
  if (frames >= fps) return undefined;
  return Math.round(seconds * fps) + frames;
}

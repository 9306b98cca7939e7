/**
 * Client-side check of a manual frame list such as `10,25,30-35` (frame numbers from 0,
 * inclusive ranges, spaces allowed), the same rules as the server's `parseFrameList`, so a typo
 * is reported before anything is sent. German messages naming the offending entry.
 */
export interface FrameRange {
  readonly startFrame: number;
  readonly endFrame: number;
}

export type FrameListResult = { ok: true; ranges: FrameRange[]; frames: number } | { ok: false; error: string };

/** The server refuses longer lists; the client says so first. */
export const MAX_LIST_ENTRIES = 10_000;

const ENTRY = /^(\d{1,9})(?:\s*-\s*(\d{1,9}))?$/;

/** Sorted, overlapping or adjacent ranges merged. */
export function mergeRanges(ranges: readonly FrameRange[]): FrameRange[] {
  const sorted = [...ranges].sort((a, b) => a.startFrame - b.startFrame);
  const merged: FrameRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.startFrame <= last.endFrame + 1) merged[merged.length - 1] = { startFrame: last.startFrame, endFrame: Math.max(last.endFrame, r.endFrame) };
    else merged.push({ ...r });
  }
  return merged;
}

/** Parses `spec` against a video of `frameCount` frames (unknown count: only the syntax is checked). */
export function parseFrameList(spec: string, frameCount: number | null): FrameListResult {
  if (spec.trim() === '') return { ok: false, error: 'Bitte die zu entfernenden Bilder angeben (z. B. 10,25,30-35).' };
  const entries = spec.split(',').map((e) => e.trim());
  if (entries.length > MAX_LIST_ENTRIES) return { ok: false, error: `Die Bildliste hat mehr als ${MAX_LIST_ENTRIES} Einträge.` };
  const ranges: FrameRange[] = [];
  for (const entry of entries) {
    if (entry === '') return { ok: false, error: 'Die Bildliste enthält einen leeren Eintrag (doppeltes oder abschließendes Komma).' };
    const match = ENTRY.exec(entry);
    if (!match) return { ok: false, error: `Ungültiger Eintrag „${entry.slice(0, 20)}“ in der Bildliste (erwartet z. B. 10,25,30-35).` };
    const startFrame = Number(match[1]);
    const endFrame = match[2] === undefined ? startFrame : Number(match[2]);
    if (endFrame < startFrame) return { ok: false, error: `Im Bereich „${entry}“ ist das Ende kleiner als der Anfang.` };
    if (frameCount !== null && endFrame >= frameCount) return { ok: false, error: `Bild ${endFrame} liegt außerhalb des Videos (Bilder 0–${frameCount - 1}).` };
    ranges.push({ startFrame, endFrame });
  }
  const merged = mergeRanges(ranges);
  const frames = merged.reduce((n, r) => n + r.endFrame - r.startFrame + 1, 0);
  if (frameCount !== null && frames >= frameCount) return { ok: false, error: 'Es können nicht alle Bilder des Videos entfernt werden.' };
  return { ok: true, ranges: merged, frames };
}

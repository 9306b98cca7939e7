/**
 * The custom mask region of a video (W4, strategy `processor_region` with mode `custom`): an
 * integer rectangle in the video's own pixels, as the server's `Roi` contract takes it. Drawn
 * on the frame preview (shown at any size) or typed into x/y/Breite/Höhe.
 */
export interface Roi {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Smaller drags (video pixels) are taken for stray clicks. */
export const MIN_ROI_PIXELS = 4;

/**
 * A region from two corners of a drag on the preview image shown `shownWidth` pixels wide for a
 * video `videoWidth × videoHeight`: scaled to video pixels, clamped to the frame, any direction.
 */
export function roiFromDrag(ax: number, ay: number, bx: number, by: number, shownWidth: number, videoWidth: number, videoHeight: number): Roi | undefined {
  if (shownWidth <= 0) return undefined;
  const k = videoWidth / shownWidth;
  const clampX = (v: number): number => Math.min(videoWidth, Math.max(0, Math.round(v * k)));
  const clampY = (v: number): number => Math.min(videoHeight, Math.max(0, Math.round(v * k)));
  const x0 = clampX(Math.min(ax, bx));
  const x1 = clampX(Math.max(ax, bx));
  const y0 = clampY(Math.min(ay, by));
  const y1 = clampY(Math.max(ay, by));
  if (x1 - x0 < MIN_ROI_PIXELS || y1 - y0 < MIN_ROI_PIXELS) return undefined;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

export type RoiCheck = { ok: true; roi: Roi } | { ok: false; error: string };

const FIELDS: [keyof Roi, string][] = [
  ['x', 'x'],
  ['y', 'y'],
  ['width', 'Breite'],
  ['height', 'Höhe'],
];

/** Checks typed values: whole pixels, x/y from 0, width/height at least 1, inside the frame when its size is known. */
export function checkRoi(input: Record<keyof Roi, string | number>, videoWidth: number | null, videoHeight: number | null): RoiCheck {
  const values = {} as Record<keyof Roi, number>;
  for (const [key, label] of FIELDS) {
    const raw = String(input[key]).trim();
    if (!/^\d{1,6}$/.test(raw)) return { ok: false, error: `${label}: bitte eine ganze Zahl ≥ 0 eingeben.` };
    values[key] = Number(raw);
  }
  if (values.width < 1 || values.height < 1) return { ok: false, error: 'Breite und Höhe müssen mindestens 1 Pixel betragen.' };
  if (videoWidth !== null && values.x + values.width > videoWidth) return { ok: false, error: `Der Bereich reicht über den rechten Bildrand hinaus (Bildbreite ${videoWidth} px).` };
  if (videoHeight !== null && values.y + values.height > videoHeight) return { ok: false, error: `Der Bereich reicht über den unteren Bildrand hinaus (Bildhöhe ${videoHeight} px).` };
  return { ok: true, roi: values };
}

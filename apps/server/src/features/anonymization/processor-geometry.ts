import { OVERLAY_FIELDS, type OverlayField, type Rect } from '../knowledge-base/index.js';

/** A processor's screen layout as stored in `endoscopy_processors` (operator-editable). */
export interface ProcessorGeometry {
  readonly name: string;
  readonly imageWidth: number;
  readonly imageHeight: number;
  /** The endoscope image; everything outside it is device overlay and gets blacked out. */
  readonly endoscopeImage: Rect;
  readonly overlayRois: Partial<Record<OverlayField, Rect>>;
  readonly geometrySource: string;
}

/** Allowed difference in aspect ratio for a preset to be scaled onto a video (rounding of odd sizes). */
const ASPECT_TOLERANCE = 0.005;

function scaleRect(rect: Rect, sx: number, sy: number): Rect {
  const x0 = Math.floor(rect.x * sx);
  const y0 = Math.floor(rect.y * sy);
  const x1 = Math.ceil((rect.x + rect.width) * sx);
  const y1 = Math.ceil((rect.y + rect.height) * sy);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * The preset's geometry in the video's pixels: unchanged for the preset's own resolution,
 * scaled for a recording of the same layout at another size (a 720p capture of a 1080p
 * processor), undefined when the video has another shape and the layout cannot be trusted.
 */
export function fitGeometryToVideo(geometry: ProcessorGeometry, width: number, height: number): ProcessorGeometry | undefined {
  if (geometry.imageWidth === width && geometry.imageHeight === height) return geometry;
  const presetAspect = geometry.imageWidth / geometry.imageHeight;
  if (Math.abs(width / height - presetAspect) / presetAspect > ASPECT_TOLERANCE) return undefined;
  const sx = width / geometry.imageWidth;
  const sy = height / geometry.imageHeight;
  const overlayRois: Partial<Record<OverlayField, Rect>> = {};
  for (const field of OVERLAY_FIELDS) {
    const roi = geometry.overlayRois[field];
    if (roi) overlayRois[field] = scaleRect(roi, sx, sy);
  }
  // The kept image shrinks on scaling (floor outer edges inward) so overlay pixels never slip in.
  const img = geometry.endoscopeImage;
  const x0 = Math.ceil(img.x * sx);
  const y0 = Math.ceil(img.y * sy);
  const endoscopeImage = { x: x0, y: y0, width: Math.floor((img.x + img.width) * sx) - x0, height: Math.floor((img.y + img.height) * sy) - y0 };
  return { ...geometry, imageWidth: width, imageHeight: height, endoscopeImage, overlayRois };
}

/** True when `rect` lies inside a frame of the given size and has positive area. */
export function rectInsideFrame(rect: Rect, width: number, height: number): boolean {
  return [rect.x, rect.y, rect.width, rect.height].every(Number.isInteger) && rect.x >= 0 && rect.y >= 0 && rect.width > 0 && rect.height > 0 && rect.x + rect.width <= width && rect.y + rect.height <= height;
}

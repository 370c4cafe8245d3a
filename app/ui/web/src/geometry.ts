// Pure drawing geometry: fit the image into the available width, size the canvas for the screen's
// devicePixelRatio, and turn a detection (polygon or box) into points in CSS pixels.
import type { DetectionLike } from './types.js';

export type Point = readonly [number, number];

export interface FitOptions {
  /** Width available for the image, CSS pixels. */
  maxWidth: number;
  /** Height cap, CSS pixels (e.g. a fraction of the viewport); none when omitted. */
  maxHeight?: number;
}

export interface CanvasLayout {
  /** Size the canvas takes on the page, CSS pixels. */
  cssWidth: number;
  cssHeight: number;
  /** Size of the canvas backing store, device pixels (CSS size × devicePixelRatio). */
  pixelWidth: number;
  pixelHeight: number;
  /** CSS pixels per image pixel. */
  scale: number;
  /** Device pixels per CSS pixel actually used (the canvas is capped so it never exceeds browser limits). */
  dpr: number;
}

/** Largest canvas side that all browsers accept without silently failing to draw. */
export const MAX_CANVAS_SIDE = 8192;

/** Scales an image to fit (never enlarging it) and sizes a canvas that stays crisp on HiDPI screens. */
export function layoutCanvas(
  imageWidth: number,
  imageHeight: number,
  fit: FitOptions,
  devicePixelRatio: number,
): CanvasLayout {
  if (!(imageWidth > 0 && imageHeight > 0)) throw new RangeError('image size must be positive');
  const limits = [1, Math.max(fit.maxWidth, 1) / imageWidth];
  if (fit.maxHeight !== undefined) limits.push(Math.max(fit.maxHeight, 1) / imageHeight);
  const scale = Math.min(...limits);
  const cssWidth = Math.max(1, Math.round(imageWidth * scale));
  const cssHeight = Math.max(1, Math.round(imageHeight * scale));
  const wanted = Number.isFinite(devicePixelRatio) && devicePixelRatio > 0 ? devicePixelRatio : 1;
  const dpr = Math.min(wanted, MAX_CANVAS_SIDE / Math.max(cssWidth, cssHeight));
  return {
    cssWidth,
    cssHeight,
    pixelWidth: Math.round(cssWidth * dpr),
    pixelHeight: Math.round(cssHeight * dpr),
    scale: cssWidth / imageWidth,
    dpr,
  };
}

/** The outline of a detection in image pixels: its polygon when the task gives one, else its box. */
export function outline(detection: DetectionLike): Point[] {
  if (detection.polygon && detection.polygon.length >= 3) return detection.polygon.map(([x, y]) => [x, y]);
  const { x_min, y_min, x_max, y_max } = detection;
  return [
    [x_min, y_min],
    [x_max, y_min],
    [x_max, y_max],
    [x_min, y_max],
  ];
}

/** Maps image-pixel points to canvas CSS pixels. */
export function toCanvas(points: readonly Point[], scale: number): Point[] {
  return points.map(([x, y]) => [x * scale, y * scale]);
}

/** Where to put a label: above the outline's top-left point, or inside it when there is no room above. */
export function labelAnchor(points: readonly Point[], labelHeight: number): Point {
  let left = Number.POSITIVE_INFINITY;
  let top = Number.POSITIVE_INFINITY;
  for (const [x, y] of points) {
    left = Math.min(left, x);
    top = Math.min(top, y);
  }
  return [Math.max(0, left), top >= labelHeight ? top - labelHeight : Math.max(0, top)];
}

/** The text shown for a detection: the OCR text when there is one, else the class name. */
export function labelOf(detection: DetectionLike): string {
  return detection.text ?? detection.class_name;
}

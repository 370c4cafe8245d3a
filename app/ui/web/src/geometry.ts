// Pure drawing geometry: fit the image into the available width, size the canvas for the screen's
// devicePixelRatio, and turn a detection (polygon or box) into points in CSS pixels.
import type { DetectionLike } from './types.js';

export type Point = readonly [number, number];

export interface FitOptions {
  /** Width available for the image, CSS pixels. */
  maxWidth: number;
  /** Height cap, CSS pixels (e.g. a fraction of the viewport); none when omitted. */
  maxHeight?: number;
  /** A smaller image is enlarged (up to MAX_UPSCALE×) until its longer side reaches this, CSS pixels. */
  minSide?: number;
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
/** How much a small image may be enlarged for display (an icon-sized image stays recognisably pixelated). */
export const MAX_UPSCALE = 8;

/**
 * Scales an image to fit the space available, enlarging a small one up to `minSide`, and sizes a canvas
 * that stays crisp on HiDPI screens.
 */
export function layoutCanvas(
  imageWidth: number,
  imageHeight: number,
  fit: FitOptions,
  devicePixelRatio: number,
): CanvasLayout {
  if (!(imageWidth > 0 && imageHeight > 0)) throw new RangeError('image size must be positive');
  const enlarge = fit.minSide ? fit.minSide / Math.max(imageWidth, imageHeight) : 1;
  const limits = [Math.min(MAX_UPSCALE, Math.max(1, enlarge)), Math.max(fit.maxWidth, 1) / imageWidth];
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

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const intersects = (a: Rect, b: Rect) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** The axis-aligned rectangle around some points. */
export function bounds(points: readonly Point[]): Rect {
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, w: Math.max(...xs) - x, h: Math.max(...ys) - y };
}

export interface LabelRequest {
  index: number;
  /** The detection's outline, bounded, in canvas pixels. */
  box: Rect;
  /** Width of the label with its text, and with only its number (the table row), canvas pixels. */
  textWidth: number;
  numberWidth: number;
}

export interface PlacedLabel {
  index: number;
  /** `text`: the whole label; `number`: its row number in the table; `none`: no room anywhere. */
  mode: 'text' | 'number' | 'none';
  rect?: Rect;
}

/**
 * Where a label of this size may go around a box, best first: above, below, right, left, then at the far right
 * or far left of the canvas on the box's line (past the other lines' ends); inside the canvas only.
 */
function around(
  box: Rect,
  w: number,
  h: number,
  area: { width: number; height: number },
  gap: number,
): Rect[] {
  const x = Math.max(0, Math.min(box.x, area.width - w));
  const middle = box.y + (box.h - h) / 2;
  const y = Math.max(0, Math.min(middle, area.height - h));
  return [
    { x, y: box.y - gap - h, w, h },
    { x, y: box.y + box.h + gap, w, h },
    { x: box.x + box.w + gap, y, w, h },
    { x: box.x - gap - w, y, w, h },
    { x: area.width - w, y, w, h },
    { x: 0, y, w, h },
  ].filter((r) => r.x >= 0 && r.y >= 0 && r.x + r.w <= area.width && r.y + r.h <= area.height);
}

/**
 * Places labels so that none covers any outline (so no text the model read) or another label: each goes
 * outside its box where there is room, else shrinks to its row number, else is left out (the table and
 * hovering still show it). Labels are placed in order, so earlier detections get the better spots.
 */
export function placeLabels(
  requests: readonly LabelRequest[],
  area: { width: number; height: number },
  labelHeight: number,
  gap = 2,
): PlacedLabel[] {
  const boxes = requests.map((r) => r.box);
  const taken: Rect[] = [];
  const free = (rect: Rect) =>
    !boxes.some((b) => intersects(rect, b)) && !taken.some((t) => intersects(rect, t));
  return requests.map(({ index, box, textWidth, numberWidth }) => {
    for (const [mode, width] of [
      ['text', textWidth],
      ['number', numberWidth],
    ] as const) {
      const rect = around(box, width, labelHeight, area, gap).find(free);
      if (rect) {
        taken.push(rect);
        return { index, mode, rect };
      }
    }
    return { index, mode: 'none' };
  });
}

/** The text shown for a detection: the OCR text when there is one, else the class name. */
export function labelOf(detection: DetectionLike): string {
  return detection.text ?? detection.class_name;
}

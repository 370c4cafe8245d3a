// Draws the image and its detections on a canvas, fitted to the width available and crisp on HiDPI. A
// gutter around the image leaves room for labels, which never cover an outline (see placeLabels).
import type { Indexed } from './filter.js';
import {
  bounds,
  labelOf,
  layoutCanvas,
  outline,
  type PlacedLabel,
  type Point,
  placeLabels,
  type Rect,
  toCanvas,
} from './geometry.js';
import { colourFor } from './palette.js';
import type { Detection } from './types.js';

export interface DrawRequest {
  canvas: HTMLCanvasElement;
  image: ImageBitmap;
  detections: readonly Indexed<Detection>[];
  /** Index (in the API's response) of the detection to emphasise, e.g. the hovered table row or box. */
  highlight?: number;
  /** Draw the labels (the outlines are always drawn). */
  labels: boolean;
  maxWidth: number;
  maxHeight: number;
}

export interface Drawn {
  /** Each shown detection's outline, bounded, in canvas CSS pixels, in table order. */
  boxes: { index: number; rect: Rect }[];
  /** Where each label went (empty with labels off). */
  placement: PlacedLabel[];
}

const PAD = 3;
const GAP = 2;
/** Small images are enlarged for display until their longer side is this many CSS pixels. */
const MIN_SIDE = 320;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export function drawDetections(request: DrawRequest): Drawn {
  const { canvas, image, detections, highlight } = request;
  // Smaller labels on a small canvas (a phone).
  const fontPx = request.maxWidth < 480 ? 11 : 13;
  const labelHeight = fontPx + PAD * 2;
  // The gutter: room for a label above and below the image, and for a row number beside it. Kept with labels
  // off too, so that toggling them never moves the image.
  const gutterY = labelHeight + GAP * 2;
  const gutterX = fontPx * 2 + GAP * 2;
  const layout = layoutCanvas(
    image.width,
    image.height,
    {
      maxWidth: request.maxWidth - gutterX * 2,
      maxHeight: request.maxHeight - gutterY * 2,
      minSide: Math.min(MIN_SIDE, request.maxWidth - gutterX * 2),
    },
    window.devicePixelRatio,
  );
  const width = layout.cssWidth + gutterX * 2;
  const height = layout.cssHeight + gutterY * 2;
  canvas.width = Math.round(width * layout.dpr);
  canvas.height = Math.round(height * layout.dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return { boxes: [], placement: [] };
  // Draw in CSS pixels; the transform maps them to device pixels.
  ctx.setTransform(layout.dpr, 0, 0, layout.dpr, 0, 0);
  // An enlarged small image stays sharp-edged rather than blurred.
  ctx.imageSmoothingEnabled = layout.scale < 2;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, gutterX, gutterY, layout.cssWidth, layout.cssHeight);

  const shapes = detections.map(({ index, item }, position) => {
    const points: Point[] = toCanvas(outline(item), layout.scale).map(([x, y]) => [x + gutterX, y + gutterY]);
    return { index, number: String(position + 1), label: labelOf(item), points, box: bounds(points) };
  });
  const dimOthers = highlight !== undefined && shapes.some((s) => s.index === highlight);

  for (const shape of shapes) {
    const active = shape.index === highlight;
    ctx.globalAlpha = dimOthers && !active ? 0.35 : 1;
    ctx.beginPath();
    for (const [x, y] of shape.points) ctx.lineTo(x, y); // lineTo on an empty path starts it
    ctx.closePath();
    if (active) {
      ctx.fillStyle = `${colourFor(shape.index)}33`;
      ctx.fill();
    }
    // A light halo under the coloured line keeps it visible on any background (a red box on a red sign).
    const lineWidth = active ? 3.5 : 2;
    ctx.lineJoin = 'round';
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';
    ctx.lineWidth = lineWidth + 3;
    ctx.stroke();
    ctx.strokeStyle = colourFor(shape.index);
    ctx.lineWidth = lineWidth;
    ctx.stroke();
  }

  ctx.font = `600 ${fontPx}px ${FONT}`;
  ctx.textBaseline = 'top';
  const measure = (text: string) => Math.ceil(ctx.measureText(text).width) + PAD * 2;
  const placement = request.labels
    ? placeLabels(
        shapes.map((s) => ({
          index: s.index,
          box: s.box,
          textWidth: s.label ? measure(s.label) : measure(s.number),
          numberWidth: measure(s.number),
        })),
        { width, height },
        labelHeight,
        GAP,
      )
    : [];
  for (const placed of placement) {
    const shape = shapes.find((s) => s.index === placed.index);
    if (!shape || !placed.rect) continue;
    ctx.globalAlpha = dimOthers && placed.index !== highlight ? 0.35 : 1;
    tag(ctx, placed.rect, placed.mode === 'text' && shape.label ? shape.label : shape.number, placed.index);
  }
  // The highlighted detection always shows its whole text, even where it has to overlap others for a moment.
  const active = shapes.find((s) => s.index === highlight);
  const activePlacement = placement.find((p) => p.index === highlight);
  if (active?.label && request.labels && activePlacement?.mode !== 'text') {
    const w = Math.min(measure(active.label), width);
    const x = Math.max(0, Math.min(active.box.x, width - w));
    const y =
      active.box.y >= labelHeight + GAP
        ? active.box.y - labelHeight - GAP
        : active.box.y + active.box.h + GAP;
    ctx.globalAlpha = 1;
    tag(ctx, { x, y: Math.min(y, height - labelHeight), w, h: labelHeight }, active.label, active.index);
  }
  ctx.globalAlpha = 1;
  return { boxes: shapes.map((s) => ({ index: s.index, rect: s.box })), placement };
}

/** A label: the detection's colour, a white edge, white text. */
function tag(ctx: CanvasRenderingContext2D, rect: Rect, text: string, index: number) {
  ctx.fillStyle = colourFor(index);
  ctx.fillRect(rect.x, rect.y, rect.w, rect.h);
  ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)';
  ctx.lineWidth = 1;
  ctx.strokeRect(rect.x + 0.5, rect.y + 0.5, rect.w - 1, rect.h - 1);
  ctx.fillStyle = '#ffffff';
  ctx.fillText(text, rect.x + PAD, rect.y + PAD, rect.w - PAD * 2);
}

/** The detection under a point of the canvas (CSS pixels): the smallest outline containing it. */
export function detectionAt(drawn: Drawn, x: number, y: number): number | undefined {
  let best: { index: number; area: number } | undefined;
  for (const { index, rect } of drawn.boxes) {
    if (x < rect.x || y < rect.y || x > rect.x + rect.w || y > rect.y + rect.h) continue;
    const area = rect.w * rect.h;
    if (!best || area < best.area) best = { index, area };
  }
  return best?.index;
}

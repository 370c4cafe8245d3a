// Draws the image and its detections on a canvas, fitted to the width available and crisp on HiDPI.
import type { Indexed } from './filter.js';
import { type CanvasLayout, labelAnchor, labelOf, layoutCanvas, outline, toCanvas } from './geometry.js';
import { colourFor } from './palette.js';
import type { Detection } from './types.js';

export interface DrawRequest {
  canvas: HTMLCanvasElement;
  image: ImageBitmap;
  detections: readonly Indexed<Detection>[];
  /** Index (in the API's response) of the detection to emphasise, e.g. the hovered table row. */
  highlight?: number;
  maxWidth: number;
  maxHeight: number;
}

const PAD = 3;

/** Draws everything and returns the labels it drew, in order (the page exposes them for tests and screen readers). */
export function drawDetections(request: DrawRequest): string[] {
  const { canvas, image, detections, highlight } = request;
  const layout: CanvasLayout = layoutCanvas(
    image.width,
    image.height,
    { maxWidth: request.maxWidth, maxHeight: request.maxHeight },
    window.devicePixelRatio,
  );
  canvas.width = layout.pixelWidth;
  canvas.height = layout.pixelHeight;
  canvas.style.width = `${layout.cssWidth}px`;
  canvas.style.height = `${layout.cssHeight}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return [];
  // Draw in CSS pixels; the transform maps them to device pixels.
  ctx.setTransform(layout.dpr, 0, 0, layout.dpr, 0, 0);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, 0, 0, layout.cssWidth, layout.cssHeight);

  const labels: string[] = [];
  const shapes = detections.map(({ index, item }) => ({
    index,
    label: labelOf(item),
    points: toCanvas(outline(item), layout.scale),
  }));
  const dimOthers = highlight !== undefined && shapes.some((s) => s.index === highlight);

  for (const shape of shapes) {
    const active = shape.index === highlight;
    ctx.globalAlpha = dimOthers && !active ? 0.35 : 1;
    ctx.beginPath();
    for (const [x, y] of shape.points) ctx.lineTo(x, y); // lineTo on an empty path starts it
    ctx.closePath();
    ctx.strokeStyle = colourFor(shape.index);
    ctx.lineWidth = active ? 3.5 : 2;
    if (active) {
      ctx.fillStyle = `${colourFor(shape.index)}33`;
      ctx.fill();
    }
    ctx.stroke();
  }

  // Smaller labels on a small canvas (a phone), so that they hide less of the image.
  const fontPx = layout.cssWidth < 480 ? 11 : 13;
  ctx.font = `600 ${fontPx}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
  ctx.textBaseline = 'top';
  const labelHeight = fontPx + PAD * 2;
  for (const shape of shapes) {
    if (!shape.label) continue;
    const active = shape.index === highlight;
    ctx.globalAlpha = dimOthers && !active ? 0.35 : 1;
    const [x, y] = labelAnchor(shape.points, labelHeight);
    const width = Math.min(ctx.measureText(shape.label).width + PAD * 2, layout.cssWidth);
    const left = Math.min(x, layout.cssWidth - width);
    ctx.fillStyle = colourFor(shape.index);
    ctx.fillRect(left, y, width, labelHeight);
    ctx.fillStyle = '#ffffff';
    ctx.fillText(shape.label, left + PAD, y + PAD, width - PAD * 2);
    labels.push(shape.label);
  }
  ctx.globalAlpha = 1;
  return labels;
}

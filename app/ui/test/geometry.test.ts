import { describe, expect, it } from 'vitest';
import {
  intersects,
  labelOf,
  layoutCanvas,
  MAX_CANVAS_SIDE,
  MAX_UPSCALE,
  outline,
  placeLabels,
  type Rect,
  toCanvas,
} from '../web/src/geometry.js';

const box = { x_min: 10, y_min: 20, x_max: 110, y_max: 60, class_name: 'text' };

describe('layoutCanvas', () => {
  it('scales a wide image down to the width available, keeping its aspect ratio', () => {
    const l = layoutCanvas(2000, 1000, { maxWidth: 500 }, 1);
    expect(l).toMatchObject({
      cssWidth: 500,
      cssHeight: 250,
      pixelWidth: 500,
      pixelHeight: 250,
      scale: 0.25,
      dpr: 1,
    });
  });

  it('never enlarges an image unless asked to', () => {
    const l = layoutCanvas(200, 100, { maxWidth: 800, maxHeight: 800 }, 1);
    expect(l).toMatchObject({ cssWidth: 200, cssHeight: 100, scale: 1 });
  });

  it('enlarges a small image towards minSide, at most MAX_UPSCALE times and within the space available', () => {
    expect(layoutCanvas(20, 20, { maxWidth: 800, minSide: 320 }, 1)).toMatchObject({
      cssWidth: 20 * MAX_UPSCALE,
      scale: MAX_UPSCALE,
    });
    expect(layoutCanvas(100, 50, { maxWidth: 800, minSide: 320 }, 1)).toMatchObject({
      cssWidth: 320,
      cssHeight: 160,
    });
    expect(layoutCanvas(100, 50, { maxWidth: 250, minSide: 320 }, 1).cssWidth).toBe(250);
    expect(layoutCanvas(1000, 500, { maxWidth: 800, minSide: 320 }, 1).cssWidth).toBe(800);
  });

  it('also fits a tall image into the height cap', () => {
    const l = layoutCanvas(1000, 4000, { maxWidth: 800, maxHeight: 600 }, 1);
    expect(l.cssHeight).toBe(600);
    expect(l.cssWidth).toBe(150);
    expect(l.scale).toBeCloseTo(0.15);
  });

  it('gives the backing store devicePixelRatio times the CSS size, so HiDPI screens stay crisp', () => {
    const l = layoutCanvas(1200, 800, { maxWidth: 600 }, 2);
    expect(l).toMatchObject({ cssWidth: 600, cssHeight: 400, pixelWidth: 1200, pixelHeight: 800, dpr: 2 });
    const odd = layoutCanvas(1000, 1000, { maxWidth: 333 }, 1.5);
    expect(odd.pixelWidth).toBe(Math.round(333 * 1.5));
  });

  it('caps the backing store at the largest canvas browsers draw', () => {
    const l = layoutCanvas(6000, 3000, { maxWidth: 6000 }, 3);
    expect(Math.max(l.pixelWidth, l.pixelHeight)).toBeLessThanOrEqual(MAX_CANVAS_SIDE);
    expect(l.cssWidth).toBe(6000);
  });

  it('treats a missing or nonsensical devicePixelRatio as 1, and a zero width as 1 px', () => {
    expect(layoutCanvas(100, 100, { maxWidth: 100 }, Number.NaN).dpr).toBe(1);
    expect(layoutCanvas(100, 100, { maxWidth: 100 }, 0).dpr).toBe(1);
    expect(layoutCanvas(100, 50, { maxWidth: 0 }, 1)).toMatchObject({ cssWidth: 1, cssHeight: 1 });
  });

  it('refuses an image without pixels', () => {
    expect(() => layoutCanvas(0, 10, { maxWidth: 100 }, 1)).toThrow(RangeError);
  });
});

describe('outline and toCanvas', () => {
  it('uses the polygon when the detection has one (OCR)', () => {
    const polygon: [number, number][] = [
      [12, 22],
      [108, 18],
      [110, 58],
      [14, 62],
    ];
    expect(outline({ ...box, polygon })).toEqual(polygon);
  });

  it('falls back to the box corners, clockwise from top-left (detect, or a degenerate polygon)', () => {
    const corners = [
      [10, 20],
      [110, 20],
      [110, 60],
      [10, 60],
    ];
    expect(outline(box)).toEqual(corners);
    expect(outline({ ...box, polygon: [[1, 2]] })).toEqual(corners);
  });

  it('maps image pixels to canvas pixels with the layout scale', () => {
    const l = layoutCanvas(1000, 500, { maxWidth: 250 }, 2);
    expect(toCanvas(outline(box), l.scale)).toEqual([
      [2.5, 5],
      [27.5, 5],
      [27.5, 15],
      [2.5, 15],
    ]);
  });
});

describe('labels', () => {
  it('shows the OCR text, else the class name', () => {
    expect(labelOf({ ...box, text: 'OPEN 24 HOURS' })).toBe('OPEN 24 HOURS');
    expect(labelOf({ ...box, class_name: 'person' })).toBe('person');
    expect(labelOf({ ...box, text: '' })).toBe('');
  });

  // A dense scan: 7 full-width lines with gaps smaller than a label, in a canvas with a gutter around them.
  const lines: Rect[] = Array.from({ length: 7 }, (_, i) => ({
    x: 30,
    y: 25 + i * 20,
    w: 300 - i * 30,
    h: 16,
  }));
  const area = { width: 360, height: 25 + 7 * 20 + 25 };
  const request = (rects: Rect[], textWidth = 120) =>
    rects.map((box, index) => ({ index, box, textWidth, numberWidth: 20 }));

  it('never lets a label cover an outline or another label', () => {
    const placed = placeLabels(request(lines), area, 19);
    expect(placed).toHaveLength(7);
    const rects = placed.flatMap((p) => (p.rect ? [p.rect] : []));
    for (const rect of rects) {
      for (const line of lines) expect(intersects(rect, line)).toBe(false);
      for (const other of rects) if (other !== rect) expect(intersects(rect, other)).toBe(false);
      expect(rect.x).toBeGreaterThanOrEqual(0);
      expect(rect.y).toBeGreaterThanOrEqual(0);
      expect(rect.x + rect.w).toBeLessThanOrEqual(area.width);
      expect(rect.y + rect.h).toBeLessThanOrEqual(area.height);
    }
  });

  it('puts the whole label outside the box where there is room, else the row number beside it', () => {
    const placed = placeLabels(request(lines), area, 19);
    expect(placed[0]).toMatchObject({ mode: 'text', rect: { x: 30, y: 25 - 2 - 19 } }); // above the first line
    // The lines in between have no room above or below: a short line has its label on its right, a long one
    // only its number there.
    expect(placed.map((p) => p.mode)).toEqual(['text', 'number', 'number', 'text', 'text', 'text', 'text']);
    for (const i of [1, 2, 3, 4])
      expect(placed[i]?.rect?.x).toBeGreaterThanOrEqual((lines[i]?.x ?? 0) + (lines[i]?.w ?? 0));
  });

  it('puts a number at the far edge of its line when the lines around it are longer', () => {
    // The middle line is shortest, its neighbours' boxes reach past its end and it starts at the image's
    // left edge: beside it is taken on both sides.
    const rows: Rect[] = [
      { x: 10, y: 20, w: 280, h: 12 },
      { x: 10, y: 34, w: 120, h: 12 },
      { x: 10, y: 48, w: 280, h: 12 },
    ];
    const placed = placeLabels(request(rows, 200), { width: 340, height: 90 }, 17);
    expect(placed[1]).toMatchObject({ mode: 'number', rect: { x: 340 - 20 } });
  });

  it('leaves a label out when there is no room for even its number', () => {
    const full = [{ x: 0, y: 0, w: 100, h: 100 }];
    expect(placeLabels(request(full), { width: 100, height: 100 }, 19)).toEqual([{ index: 0, mode: 'none' }]);
  });
});

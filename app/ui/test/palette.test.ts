import { describe, expect, it } from 'vitest';
import { colourFor } from '../web/src/palette.js';

/** WCAG 2 relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const v = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

describe('colourFor', () => {
  const colours = Array.from({ length: 8 }, (_, i) => colourFor(i));

  it('gives neighbouring detections different colours, and cycles', () => {
    expect(new Set(colours).size).toBe(8);
    expect(colourFor(8)).toBe(colourFor(0));
    expect(colourFor(-1)).toBe(colourFor(7));
  });

  it('keeps the white label text readable (WCAG AA, 4.5:1)', () => {
    for (const c of colours) expect(1.05 / (luminance(c) + 0.05)).toBeGreaterThanOrEqual(4.5);
  });
});

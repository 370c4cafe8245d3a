// Transparent images onto a background the content stands out from. A fixed white background loses light
// ink on a transparent canvas (white text exported from a design tool, a logo for dark themes): it becomes
// white on white, and the model finds nothing. The background is chosen against the alpha-weighted mean
// luminance of the visible pixels: light content goes on black, dark or mixed content on white.

/** Visible content at least this light (0-255, Rec. 601 luma) is put on black instead of white. */
export const LIGHT_CONTENT = 160;

/**
 * RGBA (sRGB, 8 bits) → RGB, composited over black or white, whichever contrasts with the visible content.
 * One pass to weigh the content, one to composite; only images with an alpha channel come here.
 */
export function flattenOnContrast(
  rgba: Uint8Array,
  pixels: number,
): { rgb: Uint8Array; background: 0 | 255 } {
  let weighted = 0;
  let weight = 0;
  for (let i = 0, p = 0; p < pixels; p++, i += 4) {
    const a = rgba[i + 3] as number;
    weighted +=
      a * (299 * (rgba[i] as number) + 587 * (rgba[i + 1] as number) + 114 * (rgba[i + 2] as number));
    weight += a;
  }
  const luma = weight === 0 ? 0 : weighted / weight / 1000;
  const background: 0 | 255 = luma >= LIGHT_CONTENT ? 0 : 255;
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0, o = 0, p = 0; p < pixels; p++, i += 4, o += 3) {
    const a = rgba[i + 3] as number;
    const under = background * (255 - a);
    rgb[o] = ((rgba[i] as number) * a + under + 127) / 255;
    rgb[o + 1] = ((rgba[i + 1] as number) * a + under + 127) / 255;
    rgb[o + 2] = ((rgba[i + 2] as number) * a + under + 127) / 255;
  }
  return { rgb, background };
}

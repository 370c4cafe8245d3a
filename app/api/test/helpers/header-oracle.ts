// The main thread's own header readers (jpeg-header.ts, png-header.ts) are held to sharp's header parse: these
// make the images and state that check once for both.
import sharp from 'sharp';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type ImageFormat, inspectImage } from '../../src/images/format.js';

/** A deterministic noise image as a sharp pipeline, to encode in any format. */
export const noise = (width: number, height: number, channels: 1 | 2 | 3 | 4, seed = 7919) =>
  sharp(Buffer.from(Array.from({ length: width * height * channels }, (_, i) => (i * seed) % 251)), {
    raw: { width, height, channels },
  });

/** Limits that let every test image through. */
export const limits = { maxPixels: 1e9, maxSide: loadConfig({}).maxSide };

/** inspectImage gives what sharp's own header parse gives: the format, the stored size and the oriented one. */
export async function expectInspectLikeSharp(
  bytes: Buffer,
  format: ImageFormat,
  name: string,
): Promise<void> {
  const meta = await sharp(bytes).metadata();
  expect(await inspectImage(bytes, limits), name).toEqual({
    format,
    width: meta.width,
    height: meta.height,
    oriented: meta.autoOrient,
  });
}

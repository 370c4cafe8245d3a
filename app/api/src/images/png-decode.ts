// Plain PNGs decoded in the calling thread, synchronously, with pngjs (zlib's native inflate). A sharp decode
// is a round trip through libuv's thread pool and libvips' own threads: on a machine that went idle between
// requests, waking them costs ~1-1.5 ms more than the decode itself, about as much as a text line's whole
// decode. PNG is lossless, so for the PNGs taken here both decoders give the same bytes (tested against sharp):
// 8 bits per sample (or a palette), no ICC profile (sharp would convert it to sRGB), no EXIF (orientation), no
// animation, and small (MAX_SYNC_PIXELS).
// Everything else, and any file pngjs refuses, is left to sharp.
import { inflateSync } from 'node:zlib';
import { PNG, type PNGWithMetadata } from 'pngjs';
import type { RgbImage } from '../tasks/types.js';
import { flattenOnContrast } from './flatten.js';
import { type PngHeader, readPngHeader } from './png-header.js';

/**
 * Up to this many pixels the synchronous path wins: pngjs unfilters and expands in JavaScript, so its cost grows
 * faster with the image than sharp's, whose fixed cost is the thread wake-ups. Measured: 1.0 ms for a 900×107
 * line and 2.3 ms for a 760×262 paragraph, against sharp's 1.1 and 1.6 ms when its threads are awake, plus
 * ~1-1.5 ms when they are not.
 */
const MAX_SYNC_PIXELS = 150_000;
/** Samples per pixel of each colour type. */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7's passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The image as RGB bytes (transparency flattened as the sharp path does), or undefined for sharp to decode. */
export function decodePlainPng(bytes: Uint8Array, maxPixels: number): RgbImage | undefined {
  const header = readPngHeader(bytes);
  if (
    !header ||
    // 8 bits per sample, or palette indices of any depth: no rescaling for the two decoders to do differently.
    (header.depth !== 8 && header.colour !== 3) ||
    header.chunks.has('iCCP') ||
    header.chunks.has('acTL') ||
    header.width * header.height > Math.min(maxPixels, MAX_SYNC_PIXELS) ||
    !completeImageData(header)
  ) {
    return undefined;
  }
  let png: PNGWithMetadata;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return undefined; // damaged: sharp gives the error clients know
  }
  const { width, height, data } = png;
  const pixels = width * height;
  const rgba = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // pngjs always gives RGBA; `alpha` says whether the file had any transparency (an alpha channel or tRNS).
  if (png.alpha) return { data: flattenOnContrast(rgba, pixels).rgb, width, height };
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 4, o += 3) {
    rgb[o] = rgba[i] as number;
    rgb[o + 1] = rgba[i + 1] as number;
    rgb[o + 2] = rgba[i + 2] as number;
  }
  return { data: rgb, width, height };
}

/** Bytes of filtered scanlines the header calls for (each row: a filter byte, then its packed samples). */
function scanlineBytes({ width, height, depth, colour, interlaced }: PngHeader): number {
  const bits = (SAMPLES[colour] ?? 4) * depth;
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (!interlaced) return rows(width, height);
  return ADAM7.reduce(
    (sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)),
    0,
  );
}

/**
 * Whether the image data inflates to exactly the scanlines the header calls for. pngjs decodes a stream that
 * ends early as if the rest were zeros, where libpng (sharp) refuses the file: such a file goes to sharp.
 */
function completeImageData(header: PngHeader): boolean {
  const expected = scanlineBytes(header);
  try {
    return inflateSync(Buffer.concat(header.data), { maxOutputLength: expected + 1 }).length === expected;
  } catch {
    return false;
  }
}

// Plain PNGs decoded in the calling thread, synchronously, with pngjs (zlib's native inflate). A sharp call
// costs ~0.5 ms before any decoding (a 64×32 image) and libvips' per-line pipeline work on top: about as much
// as a text line's whole decode. PNG is lossless, so for the PNGs taken here both decoders give the same bytes (tested against sharp):
// 8 bits per sample, not interlaced, no ICC profile (sharp would convert it to sRGB), no EXIF (orientation), no
// animation, and small (MAX_SYNC_PIXELS, MAX_SYNC_ROWS).
// Everything else, and any file pngjs refuses, is left to sharp.
import { inflateSync } from 'node:zlib';
import { PNG, type PNGWithMetadata } from 'pngjs';
import type { RgbImage } from '../tasks/types.js';
import { flattenOnContrast } from './flatten.js';
import { type PngHeader, readPngHeader } from './png-header.js';

/**
 * Up to this many pixels the synchronous path wins: pngjs unfilters and expands in JavaScript, so its cost grows
 * faster with the image than sharp's, whose cost is mostly per call. Measured: 1.0 ms for a 900×107 line and
 * 2.3 ms for a 760×262 paragraph, against sharp's 1.1 and 1.6 ms in a tight loop and ~1-1.5 ms more between
 * requests (caches gone cold: a thread wake-up itself costs 20-65 µs here).
 */
const MAX_SYNC_PIXELS = 150_000;
/** pngjs pays per row (a 1×150,000 image took 0.3 s and 40-80 MB): taller images go to sharp. */
const MAX_SYNC_ROWS = 2048;
/** Samples per pixel of each colour type. */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** The image as RGB bytes (transparency flattened as the sharp path does), or undefined for sharp to decode. */
export function decodePlainPng(bytes: Uint8Array, maxPixels: number): RgbImage | undefined {
  const header = readPngHeader(bytes);
  if (!header) return undefined;
  if (
    // 8 bits per sample (palette indices too: pngjs is slow on packed ones), not interlaced: no rescaling or
    // pass layout for the two decoders to do differently.
    header.depth !== 8 ||
    header.interlaced ||
    header.chunks.has('iCCP') ||
    header.chunks.has('acTL') ||
    header.width * header.height > Math.min(maxPixels, MAX_SYNC_PIXELS) ||
    header.height > MAX_SYNC_ROWS ||
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

/** Bytes of filtered scanlines the header calls for (each row: a filter byte, then its samples). */
function scanlineBytes({ width, height, colour }: PngHeader): number {
  return height * (1 + width * (SAMPLES[colour] ?? 4));
}

/**
 * Whether the image data inflates to exactly the scanlines the header calls for, within the window its zlib
 * header declares. pngjs decodes a stream that ends early as if the rest were zeros, and Node's inflate ignores
 * the declared window, where libpng (sharp) refuses both: such files go to sharp. (libpng writes a smaller
 * window only when all the data fits in it, and then no back-reference can reach past it.)
 */
function completeImageData(header: PngHeader): boolean {
  const expected = scanlineBytes(header);
  const cmf = header.data.find((part) => part.length > 0)?.[0] ?? 0;
  const window = 2 ** ((cmf >> 4) + 8);
  if ((cmf & 0x0f) !== 8 || (window < 32_768 && expected > window)) return false;
  try {
    return inflateSync(Buffer.concat(header.data), { maxOutputLength: expected + 1 }).length === expected;
  } catch {
    return false;
  }
}

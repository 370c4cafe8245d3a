// A PNG's header read synchronously from its IHDR chunk, on the main thread, as jpeg-header.ts does for JPEG:
// sharp's metadata() would parse the same header through a round trip to libuv's thread pool. It answers only
// when libpng would accept the header as sharp reads it: a well-formed IHDR, chunks in the spec's order with
// valid names, every chunk before the image data with a correct CRC, and no eXIf chunk anywhere (its
// orientation may turn the image). Anything else, including every malformed file, is left to sharp, so its
// checks and error messages stay the ones clients get.
import * as zlib from 'node:zlib';

/** The 8 bytes every PNG starts with. */
export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const SIGNATURE_LENGTH = PNG_SIGNATURE.length;
/**
 * Chunks walked at most: a 20 MB PNG written with 8 KB IDAT chunks has ~2,500. A file of millions of empty
 * chunks would otherwise hold the main thread for a second; past this, sharp reads it in its thread pool.
 */
const MAX_CHUNKS = 4096;
/** Four ASCII letters, the third upper-case (the reserved bit clear): libpng refuses other names. */
const CHUNK_NAME = /^[A-Za-z]{2}[A-Z][A-Za-z]$/;
/** libpng's default user limit on either side (PNG_USER_WIDTH_MAX, PNG_USER_HEIGHT_MAX). */
const LIBPNG_MAX_SIDE = 1_000_000;
/** Bit depths each colour type allows (PNG spec, table 11.1). */
const DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
// zlib.crc32 is in Node 20.15 and later; without it every PNG goes to sharp.
const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

const u32 = (b: Uint8Array, at: number) =>
  (((b[at] as number) << 24) |
    ((b[at + 1] as number) << 16) |
    ((b[at + 2] as number) << 8) |
    (b[at + 3] as number)) >>>
  0;
const chunkType = (b: Uint8Array, at: number) => String.fromCharCode(...b.subarray(at, at + 4));

export interface PngHeader {
  width: number;
  height: number;
  /** Bits per sample, and the colour type (0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA). */
  depth: number;
  colour: number;
  interlaced: boolean;
  /** The type of every chunk in the file. */
  chunks: ReadonlySet<string>;
  /** The IDAT chunks' payloads, in order: the compressed image data. */
  data: Uint8Array[];
}

/** What IHDR says. */
type Ihdr = Omit<PngHeader, 'chunks' | 'data'>;

/**
 * The header and the chunk list, or undefined when sharp must read the header (see above). Only a file laid out
 * as the spec orders it is answered: one IHDR first, one PLTE and one tRNS (valid for the colour type) before
 * the image data, the IDAT chunks back to back, IEND last. Decoders differ on anything else (pngjs takes a
 * second IHDR or a late tRNS where libpng ignores or refuses them), so anything else is sharp's to judge.
 */
export function readPngHeader(bytes: Uint8Array): PngHeader | undefined {
  if (!crc32 || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return undefined;
  let header: Ihdr | undefined;
  const chunks = new Set<string>();
  const data: Uint8Array[] = [];
  /** Before the first IDAT, among the IDATs, or after them. */
  let stage: 'before' | 'data' | 'after' = 'before';
  let paletteEntries = 0;
  let count = 0;
  for (let at = SIGNATURE_LENGTH; at + 12 <= bytes.length; ) {
    const length = u32(bytes, at);
    const type = chunkType(bytes, at + 4);
    const end = at + 12 + length;
    const payload = bytes.subarray(at + 8, at + 8 + length);
    if (length > 0x7fffffff || end > bytes.length || ++count > MAX_CHUNKS || !CHUNK_NAME.test(type)) {
      return undefined;
    }
    if (type === 'eXIf') return undefined;
    if (at === SIGNATURE_LENGTH) {
      header = type === 'IHDR' && length === 13 ? validIhdr(payload) : undefined;
      if (!header) return undefined;
    } else if (type === 'IHDR' || !header) {
      return undefined;
    }
    if (type === 'IDAT') {
      if (stage === 'after' || (stage === 'before' && header.colour === 3 && paletteEntries === 0))
        return undefined;
      stage = 'data';
      data.push(payload);
    } else if (stage === 'data') {
      stage = 'after';
    }
    if ((type === 'PLTE' || type === 'tRNS') && (stage !== 'before' || chunks.has(type))) return undefined;
    if (type === 'PLTE') {
      // libpng keeps 2^depth entries of a longer palette (and then ignores a tRNS longer than that).
      if (length === 0 || length % 3 !== 0 || length > 3 * Math.min(256, 2 ** header.depth)) return undefined;
      paletteEntries = length / 3;
    }
    if (type === 'tRNS' && !validTransparency(header, payload, paletteEntries)) return undefined;
    chunks.add(type);
    if (
      stage === 'before' &&
      crc32(bytes.subarray(at + 4, at + 8 + length)) !== u32(bytes, at + 8 + length)
    ) {
      return undefined;
    }
    if (type === 'IEND') return stage === 'before' ? undefined : { ...header, chunks, data };
    at = end;
  }
  // No IEND: a truncated file, which sharp may still decode as far as it goes; let it decide.
  return undefined;
}

/** A tRNS the colour type allows, with values the bit depth can hold (libpng masks others; pngjs does not). */
function validTransparency({ colour, depth }: Ihdr, trns: Uint8Array, paletteEntries: number): boolean {
  const samples = colour === 0 ? 1 : colour === 2 ? 3 : 0;
  if (colour === 3) return paletteEntries > 0 && trns.length > 0 && trns.length <= paletteEntries;
  if (samples === 0 || trns.length !== 2 * samples) return false;
  for (let i = 0; i < trns.length; i += 2) {
    if ((((trns[i] as number) << 8) | (trns[i + 1] as number)) >= 2 ** depth) return false;
  }
  return true;
}

function validIhdr(ihdr: Uint8Array): Ihdr | undefined {
  const width = u32(ihdr, 0);
  const height = u32(ihdr, 4);
  const [depth = 0, colour = 0, compression, filter, interlace = 2] = ihdr.subarray(8);
  const ok =
    width > 0 &&
    height > 0 &&
    width <= LIBPNG_MAX_SIDE &&
    height <= LIBPNG_MAX_SIDE &&
    (DEPTHS[colour]?.includes(depth) ?? false) &&
    compression === 0 &&
    filter === 0 &&
    interlace < 2;
  return ok ? { width, height, depth, colour, interlaced: interlace === 1 } : undefined;
}

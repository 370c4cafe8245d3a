// The worker's synchronous PNG path (pngjs) against sharp's decode as the worker runs it, on real encoder output:
// for every PNG it takes, the bytes must be the same; everything else it must leave to sharp. The header reader
// the main thread uses is held to sharp's own header parse the same way.
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { flattenOnContrast } from '../src/images/flatten.js';
import { inspectImage } from '../src/images/format.js';
import { decodePlainPng } from '../src/images/png-decode.js';
import { readPngHeader } from '../src/images/png-header.js';
import { expectInspectLikeSharp, limits, noise } from './helpers/header-oracle.js';

const MAX_PIXELS = 1e8;

/** What the worker's sharp path gives: oriented, sRGB, transparency flattened the same way. */
async function bySharp(bytes: Buffer) {
  const { data, info } = await sharp(bytes)
    .rotate()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return {
    data: info.channels === 4 ? flattenOnContrast(pixels, info.width * info.height).rgb : pixels,
    width: info.width,
    height: info.height,
  };
}

/** The kinds of PNG encoders write and the fast path takes. */
async function plainVariants(): Promise<[string, Buffer][]> {
  return [
    ['RGB', await noise(37, 23, 3).png().toBuffer()],
    ['RGBA with transparency', await noise(31, 17, 4).png().toBuffer()],
    ['greyscale', await noise(20, 11, 1).png().toBuffer()],
    ['greyscale + alpha', await noise(19, 9, 2).png().toBuffer()],
    ['palette, 8 bits per index', await noise(40, 12, 3).png({ palette: true }).toBuffer()],
    ['palette with transparency (tRNS)', await noise(24, 24, 4).png({ palette: true }).toBuffer()],
    [
      'best compression, adaptive filters',
      await noise(64, 40, 3).png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer(),
    ],
    ['wide, one row', await noise(900, 1, 3).png().toBuffer()],
  ];
}

/** A chunk with its length and CRC, to build PNGs encoders would not write. */
function chunk(type: string, payload: Uint8Array = new Uint8Array()): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), payload]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(payload.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** `png` with `extra` inserted right after IHDR. */
const withChunkAfterIhdr = (png: Buffer, extra: Buffer) =>
  Buffer.concat([png.subarray(0, 33), extra, png.subarray(33)]);

describe('decodePlainPng', () => {
  it('gives the same pixels as the sharp path for every plain PNG', async () => {
    for (const [name, bytes] of await plainVariants()) {
      const fast = decodePlainPng(bytes, MAX_PIXELS);
      expect(fast, name).toBeDefined();
      const slow = await bySharp(bytes);
      expect({ width: fast?.width, height: fast?.height }, name).toEqual({
        width: slow.width,
        height: slow.height,
      });
      expect(Buffer.from(fast?.data ?? []).equals(Buffer.from(slow.data)), name).toBe(true);
    }
  });

  it('leaves 16-bit, ICC-tagged, EXIF-oriented, animated-looking and over-limit PNGs to sharp', async () => {
    const rgb = await noise(16, 8, 3).png().toBuffer();
    const cases: [string, Buffer, number][] = [
      ['16 bits per sample', await noise(16, 8, 3).toColourspace('rgb16').png().toBuffer(), MAX_PIXELS],
      [
        'ICC profile (sharp converts it to sRGB)',
        await noise(16, 8, 3).withIccProfile('p3').png().toBuffer(),
        MAX_PIXELS,
      ],
      [
        'EXIF orientation',
        await noise(16, 8, 3).withMetadata({ orientation: 6 }).png().toBuffer(),
        MAX_PIXELS,
      ],
      ['acTL (APNG)', withChunkAfterIhdr(rgb, chunk('acTL', new Uint8Array(8))), MAX_PIXELS],
      ['more pixels than the limit', rgb, 16 * 8 - 1],
      // pngjs is slower than sharp on these, and lays them out differently: nothing to gain, something to lose.
      ['interlaced (Adam7)', await noise(33, 65, 3).png({ progressive: true }).toBuffer(), MAX_PIXELS],
      [
        'a palette of 4 bits per index',
        await noise(40, 12, 3).png({ palette: true, colours: 16 }).toBuffer(),
        MAX_PIXELS,
      ],
      ['taller than 2048 rows', await noise(2, 2049, 3).png().toBuffer(), MAX_PIXELS],
    ];
    for (const [name, bytes, maxPixels] of cases)
      expect(decodePlainPng(bytes, maxPixels), name).toBeUndefined();
    // The EXIF one really is turned by sharp: the reason it may not take the fast path.
    const exif = cases[2]?.[1] as Buffer;
    expect((await sharp(exif).metadata()).autoOrient).toEqual({ width: 8, height: 16 });
  });

  it('leaves damaged files to sharp: a bad CRC in the image data, a cut-off stream', async () => {
    const bytes = await noise(64, 40, 3).png().toBuffer();
    const idat = bytes.indexOf(Buffer.from('IDAT', 'latin1'));
    const badCrc = Buffer.from(bytes);
    badCrc[idat + 10] = (badCrc[idat + 10] as number) ^ 0xff; // inside the data: the stored CRC no longer matches
    expect(decodePlainPng(badCrc, MAX_PIXELS)).toBeUndefined();
    expect(decodePlainPng(bytes.subarray(0, bytes.length - 20), MAX_PIXELS)).toBeUndefined();
  });
});

/** A 10×10 RGB PNG whose image data inflates to `scanlines` (the header calls for 10 rows of 1 + 30 bytes). */
function rgbPngOf(scanlines: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(10, 0);
  ihdr.writeUInt32BE(10, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(scanlines)),
    chunk('IEND'),
  ]);
}

describe('decodePlainPng on image data that does not fit its header', () => {
  it('leaves a stream that ends early to sharp, which refuses it (pngjs would fill the rest with zeros)', async () => {
    const short = rgbPngOf(Buffer.alloc(31 * 5, 1));
    expect(decodePlainPng(short, MAX_PIXELS)).toBeUndefined();
    await expect(bySharp(short)).rejects.toThrow();
    const exact = rgbPngOf(Buffer.alloc(31 * 10, 1));
    expect(
      Buffer.from(decodePlainPng(exact, MAX_PIXELS)?.data ?? []).equals(
        Buffer.from((await bySharp(exact)).data),
      ),
    ).toBe(true);
  });

  it('leaves extra data and unknown filter types to sharp', async () => {
    expect(decodePlainPng(rgbPngOf(Buffer.alloc(31 * 12, 1)), MAX_PIXELS)).toBeUndefined();
    const badFilter = rgbPngOf(Buffer.alloc(31 * 10, 9));
    expect(decodePlainPng(badFilter, MAX_PIXELS)).toBeUndefined();
    await expect(bySharp(badFilter)).rejects.toThrow();
  });

  it('leaves images over 150,000 pixels to sharp, whose threaded decode is as fast there', async () => {
    const big = await sharp({ create: { width: 501, height: 300, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    expect(decodePlainPng(big, MAX_PIXELS)).toBeUndefined();
    const small = await sharp({ create: { width: 500, height: 300, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    expect(decodePlainPng(small, MAX_PIXELS)?.width).toBe(500);
  });
});

describe('decodePlainPng on files laid out against the spec', () => {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = (width: number, height: number, depth: number, colour: number) => {
    const b = Buffer.alloc(13);
    b.writeUInt32BE(width, 0);
    b.writeUInt32BE(height, 4);
    b[8] = depth;
    b[9] = colour;
    return chunk('IHDR', b);
  };
  // 10×10 RGB (rows of 1 + 30 bytes), or 8-bit grey 10×10 (rows of 1 + 10), or 8-bit palette 10×10.
  const rgb = deflateSync(Buffer.alloc(31 * 10, 1));
  const grey = deflateSync(Buffer.from(Array.from({ length: 110 }, (_, i) => (i % 11 === 0 ? 0 : 44))));
  const palette = chunk('PLTE', Buffer.alloc(8 * 3, 200));
  const idat = (z: Buffer) => chunk('IDAT', z);
  const file = (...chunks: Buffer[]) => Buffer.concat([signature, ...chunks, chunk('IEND')]);

  it('answers for the layout the spec orders (the control for the cases below)', () => {
    expect(decodePlainPng(file(ihdr(10, 10, 8, 2), idat(rgb)), MAX_PIXELS)).toBeDefined();
    expect(
      decodePlainPng(
        file(
          ihdr(10, 10, 8, 3),
          palette,
          chunk('tRNS', Buffer.from([0, 9])),
          idat(deflateSync(Buffer.alloc(110, 0))),
        ),
        MAX_PIXELS,
      ),
    ).toBeDefined();
    expect(
      decodePlainPng(file(ihdr(10, 10, 8, 0), chunk('tRNS', Buffer.from([0, 44])), idat(grey)), MAX_PIXELS),
    ).toBeDefined();
  });

  it('leaves every other layout to sharp: pngjs and libpng read them differently', () => {
    const cases: [string, Buffer][] = [
      // 31 bytes per row either way: pngjs would decode 240×10 1-bit grey, past every check made on the first.
      ['a second IHDR after the data', file(ihdr(10, 10, 8, 2), idat(rgb), ihdr(240, 10, 1, 0))],
      ['the same IHDR twice', file(ihdr(10, 10, 8, 2), ihdr(10, 10, 8, 2), idat(rgb))],
      [
        'image data split by another chunk',
        file(
          ihdr(10, 10, 8, 2),
          idat(rgb.subarray(0, 5)),
          chunk('tEXt', Buffer.from('a\0b')),
          idat(rgb.subarray(5)),
        ),
      ],
      ['two palettes', file(ihdr(10, 10, 8, 3), palette, palette, idat(deflateSync(Buffer.alloc(110, 0))))],
      [
        'a palette of 8⅓ entries',
        file(
          ihdr(10, 10, 8, 3),
          chunk('PLTE', Buffer.alloc(25, 200)),
          idat(deflateSync(Buffer.alloc(110, 0))),
        ),
      ],
      [
        'a palette image without a palette',
        file(ihdr(10, 10, 8, 3), idat(deflateSync(Buffer.alloc(110, 0)))),
      ],
      [
        'tRNS after the data (libpng ignores it)',
        file(ihdr(10, 10, 8, 0), idat(grey), chunk('tRNS', Buffer.from([0, 44]))),
      ],
      [
        'a grey tRNS of 300 in 8 bits (libpng masks it to 44)',
        file(ihdr(10, 10, 8, 0), chunk('tRNS', Buffer.from([1, 44])), idat(grey)),
      ],
      [
        'a chunk name that is not four letters',
        file(ihdr(10, 10, 8, 2), chunk('a1b2', Buffer.alloc(2)), idat(rgb)),
      ],
      [
        'a chunk name with the reserved bit set',
        file(ihdr(10, 10, 8, 2), chunk('abcd', Buffer.alloc(2)), idat(rgb)),
      ],
      [
        'more chunks than a real file has',
        file(ihdr(10, 10, 8, 2), idat(rgb), ...Array.from({ length: 5000 }, () => chunk('ruSt'))),
      ],
      [
        'tRNS on an image with an alpha channel',
        file(
          ihdr(10, 10, 8, 6),
          chunk('tRNS', Buffer.from([0, 1])),
          idat(deflateSync(Buffer.alloc(41 * 10))),
        ),
      ],
    ];
    for (const [name, bytes] of cases) {
      expect(readPngHeader(bytes), name).toBeUndefined();
      expect(decodePlainPng(bytes, MAX_PIXELS), name).toBeUndefined();
    }
  });

  it('leaves a zlib window smaller than the data it reaches back into to sharp (Node inflates it, libpng refuses)', async () => {
    // 601-byte back-references under a header that declares a 256-byte window.
    const rows = Buffer.alloc(3 * 601);
    for (let y = 0; y < 3; y++) for (let i = 0; i < 600; i++) rows[y * 601 + 1 + i] = (i * 7) % 251;
    const z = deflateSync(rows);
    z[0] = 0x08;
    z[1] = 31 - ((0x08 * 256) % 31);
    const bytes = file(ihdr(200, 3, 8, 2), idat(z));
    expect(decodePlainPng(bytes, MAX_PIXELS)).toBeUndefined();
    await expect(bySharp(bytes)).rejects.toThrow();
    // A smaller window is fine when all the data fits in it, as libpng writes small images.
    const small = deflateSync(Buffer.alloc(31 * 8, 1), { windowBits: 9 });
    expect((small[0] ?? 0) >> 4).toBe(1);
    expect(decodePlainPng(file(ihdr(10, 8, 8, 2), idat(small)), MAX_PIXELS)).toBeDefined();
  });
});

describe('readPngHeader', () => {
  it('reads the same size as sharp from every plain PNG, and inspectImage answers as sharp would', async () => {
    const variants = [
      ...(await plainVariants()),
      ['16-bit', await noise(16, 8, 3).toColourspace('rgb16').png().toBuffer()] as [string, Buffer],
      ['ICC', await noise(12, 5, 3).withIccProfile('p3').png().toBuffer()] as [string, Buffer],
    ];
    for (const [name, bytes] of variants) {
      const meta = await sharp(bytes).metadata();
      expect(readPngHeader(bytes), name).toMatchObject({ width: meta.width, height: meta.height });
      await expectInspectLikeSharp(bytes, 'png', name);
    }
  });

  it('steps aside for EXIF, bad header CRCs, invalid IHDR fields, truncated files and other signatures; sharp then decides', async () => {
    const bytes = await noise(16, 8, 3).png().toBuffer();
    const exif = await noise(16, 8, 3).withMetadata({ orientation: 6 }).png().toBuffer();
    expect(readPngHeader(exif)).toBeUndefined();
    expect((await inspectImage(exif, limits)).oriented).toEqual({ width: 8, height: 16 });

    // libpng as sharp builds it accepts a bad IHDR CRC: whatever it answers, the answer is sharp's.
    const badIhdrCrc = Buffer.from(bytes);
    badIhdrCrc[29] = (badIhdrCrc[29] as number) ^ 0xff;
    expect(readPngHeader(badIhdrCrc)).toBeUndefined();
    const meta = await sharp(badIhdrCrc).metadata();
    expect(await inspectImage(badIhdrCrc, limits)).toMatchObject({ width: meta.width, height: meta.height });

    // Colour type 2 (RGB) with 4 bits per sample, which the format does not allow: CRC fixed, so only the field is wrong.
    const badDepth = Buffer.from(bytes);
    badDepth[24] = 4;
    badDepth.writeUInt32BE(crc32(badDepth.subarray(12, 29)), 29);
    expect(readPngHeader(badDepth)).toBeUndefined();
    await expect(inspectImage(badDepth, limits)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_image',
    });

    // A PNG's chunks behind another format's first bytes (the worker tries every image sent for OCR).
    for (const other of [
      [0xff, 0xd8, 0xff, 0xe0],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x00],
    ]) {
      const disguised = Buffer.from(bytes);
      disguised.set(other);
      expect(readPngHeader(disguised), `${other}`).toBeUndefined();
      expect(decodePlainPng(disguised, limits.maxPixels), `${other}`).toBeUndefined();
    }
    for (const cut of [8, 20, 33, bytes.length - 12])
      expect(readPngHeader(bytes.subarray(0, cut)), `cut ${cut}`).toBeUndefined();
    const overlong = Buffer.from(bytes);
    overlong.writeUInt32BE(0x7ffffff0, 33); // the chunk after IHDR claims to run past the end
    expect(readPngHeader(overlong)).toBeUndefined();
  });

  it('reads a bomb header as it is, so the pixel and side limits refuse it with 413 before any decode', async () => {
    const bytes = await noise(8, 8, 3).png().toBuffer();
    const bomb = Buffer.from(bytes);
    bomb.writeUInt32BE(60_000, 16);
    bomb.writeUInt32BE(60_000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    expect(readPngHeader(bomb)).toMatchObject({ width: 60_000, height: 60_000 });
    await expect(inspectImage(bomb, { maxPixels: 40e6, maxSide: 65_535 })).rejects.toMatchObject({
      status: 413,
      code: 'image_too_large',
    });
    // And the worker's fast path would refuse to allocate it, whatever the main thread did.
    expect(decodePlainPng(bomb, 40e6)).toBeUndefined();
  });
});

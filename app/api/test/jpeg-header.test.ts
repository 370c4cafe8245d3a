// The main thread's synchronous JPEG frame reader, against sharp's own header parse (libvips + libjpeg) on real
// encoder output: it must give the same size or step aside, never a different answer.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { inspectImage } from '../src/images/format.js';
import { jpegFrameSize } from '../src/images/jpeg-header.js';
import { jpegClaiming } from './helpers/api-runtime.js';
import { expectInspectLikeSharp, limits, noise } from './helpers/header-oracle.js';

/** Each kind of JPEG an encoder or a phone produces, with what sharp reads from its header. */
async function variants(): Promise<[string, Buffer][]> {
  return [
    ['baseline 4:2:0', await noise(37, 23, 3).jpeg().toBuffer()],
    ['4:4:4', await noise(640, 9, 3).jpeg({ chromaSubsampling: '4:4:4' }).toBuffer()],
    ['progressive', await noise(33, 65, 3).jpeg({ progressive: true }).toBuffer()],
    ['greyscale', await noise(20, 11, 1).jpeg().toBuffer()],
    ['mozjpeg defaults', await noise(48, 30, 3).jpeg({ mozjpeg: true }).toBuffer()],
    ['with an ICC profile', await noise(16, 8, 3).withIccProfile('p3').jpeg().toBuffer()],
    ['with XMP', await noise(16, 8, 3).withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"/>').jpeg().toBuffer()],
  ];
}

describe('jpegFrameSize', () => {
  it('reads the same size as sharp from every kind of JPEG without EXIF', async () => {
    for (const [name, bytes] of await variants()) {
      const meta = await sharp(bytes).metadata();
      expect(jpegFrameSize(bytes), name).toEqual({ width: meta.width, height: meta.height });
      // And inspectImage answers as sharp's header would (orientation 1: the size as stored).
      await expectInspectLikeSharp(bytes, 'jpeg', name);
    }
  });

  it('steps aside for an EXIF block, whose orientation may turn the image, wherever it sits', async () => {
    for (const orientation of [1, 6]) {
      const bytes = await noise(16, 8, 3).withMetadata({ orientation }).jpeg().toBuffer();
      expect(jpegFrameSize(bytes)).toBeUndefined();
    }
    // An EXIF block moved after the frame header is read by libjpeg all the same.
    const exif = await noise(16, 8, 3).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    const app1 = exif.indexOf(Buffer.from([0xff, 0xe1]));
    const app1End = app1 + 2 + exif.readUInt16BE(app1 + 2);
    const sof = exif.indexOf(Buffer.from([0xff, 0xc0]));
    const sofEnd = sof + 2 + exif.readUInt16BE(sof + 2);
    expect(app1).toBeLessThan(sof);
    const moved = Buffer.concat([
      exif.subarray(0, app1),
      exif.subarray(app1End, sofEnd),
      exif.subarray(app1, app1End),
      exif.subarray(sofEnd),
    ]);
    expect((await sharp(moved).metadata()).autoOrient).toEqual({ width: 8, height: 16 });
    expect(jpegFrameSize(moved)).toBeUndefined();
    expect((await inspectImage(moved, limits)).oriented).toEqual({ width: 8, height: 16 });
  });

  it('steps aside for truncated, garbled or header-only files (sharp then answers, or refuses with 400)', async () => {
    const [, bytes] = (await variants())[0] as [string, Buffer];
    const sos = bytes.indexOf(Buffer.from([0xff, 0xda]));
    for (const cut of [3, 10, 40, sos])
      expect(jpegFrameSize(bytes.subarray(0, cut)), `cut ${cut}`).toBeUndefined();
    const garbled = Buffer.from(bytes);
    garbled[2] = 0x00; // the first marker's 0xFF
    expect(jpegFrameSize(garbled)).toBeUndefined();
    await expect(inspectImage(garbled, limits)).rejects.toMatchObject({ status: 400, code: 'invalid_image' });
    // A 12-bit frame (precision byte after the SOF length), which libjpeg builds may refuse.
    const twelveBit = Buffer.from(bytes);
    const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
    expect(twelveBit[sof + 4]).toBe(8);
    twelveBit[sof + 4] = 12;
    expect(jpegFrameSize(twelveBit)).toBeUndefined();
    // A length running past the end of the file.
    const overlong = Buffer.from(bytes);
    overlong.writeUInt16BE(0xfff0, 4);
    expect(jpegFrameSize(overlong)).toBeUndefined();
  });

  it('reads a bomb header as is, so the pixel and side limits still refuse it with 413 before any decode', async () => {
    const bomb = await jpegClaiming(60_000, 60_000);
    // jpegClaiming keeps the 8x8 image's scan: the frame reader answers, and the limit applies to the claim.
    expect(jpegFrameSize(bomb)).toEqual({ width: 60_000, height: 60_000 });
    await expect(inspectImage(bomb, { maxPixels: 40e6, maxSide: 65_535 })).rejects.toMatchObject({
      status: 413,
      code: 'image_too_large',
    });
  });
});

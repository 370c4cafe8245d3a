// RGB bytes to normalised planar floats: the one-pass writer against a plain per-channel reference, regions
// (centre crops), strided layouts (letterbox offsets, batch slices) and grey fills.
import { describe, expect, it } from 'vitest';
import { fillChw, writeChw } from '../src/images/chw.js';
import type { RgbImage } from '../src/tasks/types.js';

/** A width × height image whose bytes are all different-ish (a hash of position and channel). */
function patterned(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 3) * 11) & 255;
  return { data, width, height };
}

const IMAGENET = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/** The textbook loop: for each tensor channel, for each pixel of the region. */
function reference(
  image: RgbImage,
  order: 'rgb' | 'bgr',
  region = { left: 0, top: 0, width: image.width, height: image.height },
): number[] {
  const out: number[] = [];
  for (let c = 0; c < 3; c++) {
    const byte = order === 'bgr' ? 2 - c : c;
    for (let y = region.top; y < region.top + region.height; y++) {
      for (let x = region.left; x < region.left + region.width; x++) {
        const p = image.data[(y * image.width + x) * 3 + byte] as number;
        out.push(
          Math.fround((p * IMAGENET.scale - (IMAGENET.mean[c] as number)) / (IMAGENET.std[c] as number)),
        );
      }
    }
  }
  return out;
}

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...Array.from(actual, (v, i) => Math.abs(v - (expected[i] as number))));
  expect(worst).toBeLessThan(1e-5);
}

describe('writeChw', () => {
  it('matches the per-channel reference in RGB and BGR order', () => {
    const image = patterned(7, 5);
    for (const order of ['rgb', 'bgr'] as const) {
      const out = new Float32Array(3 * 7 * 5);
      writeChw(image, IMAGENET, order, out);
      const expected = reference(image, order);
      expectClose(out, expected);
    }
  });

  it('writes only the region asked for (a centre crop)', () => {
    const image = patterned(9, 6);
    const region = { left: 2, top: 1, width: 4, height: 3 };
    const out = new Float32Array(3 * 4 * 3);
    writeChw(image, IMAGENET, 'rgb', out, region);
    const expected = reference(image, 'rgb', region);
    expectClose(out, expected);
  });

  it('places the pixels at an offset with wider rows and planes, leaving the rest untouched', () => {
    const unit = { scale: 1, mean: [0, 0, 0], std: [1, 1, 1] } as const;
    const image = { data: Uint8Array.from([1, 2, 3, 4, 5, 6]), width: 2, height: 1 };
    const out = new Float32Array(3 * 3 * 2).fill(-1);
    // A 3x2 plane; the image goes to row 1, column 1.
    writeChw(image, unit, 'rgb', out, undefined, { offset: 4, rowStride: 3, planeStride: 6 });
    expect(Array.from(out)).toEqual([-1, -1, -1, -1, 1, 4, -1, -1, -1, -1, 2, 5, -1, -1, -1, -1, 3, 6]);
  });

  it('refuses a region outside the image', () => {
    const image = patterned(4, 4);
    expect(() =>
      writeChw(image, IMAGENET, 'rgb', new Float32Array(48), { left: 2, top: 0, width: 4, height: 4 }),
    ).toThrow(/outside the 4x4 image/);
  });
});

describe('fillChw', () => {
  it('fills each plane with the grey value normalised for that channel', () => {
    const out = new Float32Array(2 + 3 * 4).fill(7);
    fillChw(out, 114, IMAGENET, 2, 2, 2);
    expect(Array.from(out.subarray(0, 2))).toEqual([7, 7]);
    for (let c = 0; c < 3; c++) {
      const expected = (114 / 255 - (IMAGENET.mean[c] as number)) / (IMAGENET.std[c] as number);
      for (let i = 0; i < 4; i++) expect(out[2 + c * 4 + i]).toBeCloseTo(expected, 5);
    }
  });

  it('leaves the inside region alone and fills the padding around it', () => {
    // A 4 × 3 plane with a 2 × 1 inside at (1, 1): every other cell is padding.
    const out = new Float32Array(3 * 12).fill(7);
    fillChw(out, 0, { scale: 1, mean: [-1, -2, -3], std: [1, 1, 1] }, 4, 3, 0, {
      left: 1,
      top: 1,
      width: 2,
      height: 1,
    });
    for (let c = 0; c < 3; c++) {
      const plane = Array.from(out.subarray(c * 12, (c + 1) * 12));
      const p = c + 1;
      expect(plane).toEqual([p, p, p, p, p, 7, 7, p, p, p, p, p]);
    }
  });
});

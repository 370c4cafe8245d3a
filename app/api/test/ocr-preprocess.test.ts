import { describe, expect, it } from 'vitest';
import { resizeRgb } from '../src/images/resize.js';
import { isTall, warpQuad } from '../src/tasks/ocr/crop.js';
import type { Quad } from '../src/tasks/ocr/geometry.js';
import { detectionInputSize, resizeNormalized, writeNormalized } from '../src/tasks/ocr/preprocess.js';
import {
  cropForRecognition,
  packBatch,
  recognitionWidth,
  TAIL_PADDING,
  widthSortedBatches,
} from '../src/tasks/ocr/recognition.js';
import type { RgbImage } from '../src/tasks/types.js';

const unit = {
  mean: [0, 0, 0] as [number, number, number],
  std: [1, 1, 1] as [number, number, number],
  scale: 1,
};

/** A normalisation with a different mean and std per channel, to tell the channels and their order apart. */
const norm = {
  mean: [0.1, 0.2, 0.3] as [number, number, number],
  std: [0.5, 0.25, 2] as [number, number, number],
  scale: 0.01,
};

/** An image whose pixel (x, y) is (x, y, 7) — positions can be read back from the colours. */
function coordinateImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x, y, 7], (y * width + x) * 3);
  }
  return { data, width, height };
}

const pixel = (img: RgbImage, x: number, y: number) => [
  ...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3),
];

describe('detectionInputSize', () => {
  it.each([
    [200, 133, 960, 192, 128],
    [1240, 1210, 960, 960, 928], // scaled down by 960/1240, then rounded
    [4000, 1000, 960, 960, 256],
    [10, 10, 960, 32, 32], // never below one multiple
    [959, 47, 960, 960, 32], // rounded to nearest, not always up
  ])('%i × %i, max side %i -> %i × %i', (w, h, max, ew, eh) => {
    expect(detectionInputSize(w, h, max)).toEqual({ width: ew, height: eh });
  });

  it('keeps both sides multiples of 32 and the longer side at most maxSide', () => {
    for (const [w, h] of [
      [333, 777],
      [1921, 1081],
      [640, 480],
      [33, 3000],
    ] as const) {
      const size = detectionInputSize(w, h, 960);
      expect(size.width % 32).toBe(0);
      expect(size.height % 32).toBe(0);
      expect(Math.max(size.width, size.height)).toBeLessThanOrEqual(960);
    }
  });
});

describe('resizeRgb (images/resize.ts)', () => {
  it('resizes with sharp to the exact size, and returns the same image when the size is unchanged', async () => {
    const img = coordinateImage(50, 20);
    const out = await resizeRgb(img, 64, 32);
    expect(out.width).toBe(64);
    expect(out.height).toBe(32);
    expect(out.data.length).toBe(64 * 32 * 3);
    expect(await resizeRgb(img, 50, 20)).toBe(img);
  });
});

describe('resizeNormalized', () => {
  /** A one-channel row (the same byte in R, G and B) as an RGB image. */
  const grey = (values: number[], width = values.length, height = 1): RgbImage => ({
    data: new Uint8Array(values.flatMap((v) => [v, v, v])),
    width,
    height,
  });
  const plane = (out: Float32Array, c: number, size: number) => [...out.subarray(c * size, (c + 1) * size)];

  it("upscales as cv2.resize's INTER_LINEAR does: centres aligned, clamped at the borders", () => {
    // cv2.resize(np.uint8([[0, 100]]), (4, 1)) == [[0, 25, 75, 100]]
    const out = new Float32Array(3 * 4);
    resizeNormalized(grey([0, 100]), 4, 1, unit, 'rgb', out);
    for (let c = 0; c < 3; c++) expect(plane(out, c, 4)).toEqual([0, 25, 75, 100]);
  });

  it('downscales from the 2 × 2 nearest pixels (no area average), rounding to a byte', () => {
    // 4 -> 2 columns: centres at 0.5 and 2.5, each half-way between two pixels.
    const out = new Float32Array(3 * 2);
    resizeNormalized(grey([0, 9, 100, 255]), 2, 1, unit, 'rgb', out);
    expect(plane(out, 0, 2)).toEqual([5, 178]);
    // 1 × 4 -> 1 × 2 down the rows.
    const column = new Float32Array(3 * 2);
    resizeNormalized(grey([0, 9, 100, 255], 1, 4), 1, 2, unit, 'rgb', column);
    expect(plane(column, 0, 2)).toEqual([5, 178]);
  });

  it('interpolates in both directions at once', () => {
    // 2 × 2 -> 4 × 4: the inner 2 × 2 samples sit a quarter of a pixel from their nearest source pixel.
    const out = new Float32Array(3 * 16);
    resizeNormalized(grey([0, 100, 100, 200], 2, 2), 4, 4, unit, 'rgb', out);
    expect(plane(out, 0, 16)).toEqual([
      0, 25, 75, 100, 25, 50, 100, 125, 75, 100, 150, 175, 100, 125, 175, 200,
    ]);
  });

  it('normalises each tensor channel with its own mean and std, blue first for BGR', () => {
    const img: RgbImage = { data: new Uint8Array([10, 20, 30, 10, 20, 30]), width: 2, height: 1 };
    const out = new Float32Array(3 * 3);
    resizeNormalized(img, 3, 1, norm, 'bgr', out);
    const expected = [(0.3 - 0.1) / 0.5, (0.2 - 0.2) / 0.25, (0.1 - 0.3) / 2];
    for (let c = 0; c < 3; c++)
      for (const v of plane(out, c, 3)) expect(v).toBeCloseTo(expected[c] as number, 5);
  });

  it('writes an image already at the size exactly as writeNormalized does', () => {
    const img = coordinateImage(5, 3);
    const norm = {
      mean: [0.4, 0.5, 0.6] as [number, number, number],
      std: [0.2, 0.3, 0.4] as [number, number, number],
      scale: 1 / 255,
    };
    const a = new Float32Array(3 * 15);
    const b = new Float32Array(3 * 15);
    resizeNormalized(img, 5, 3, norm, 'bgr', a);
    writeNormalized(img, norm, 'bgr', b);
    expect([...a]).toEqual([...b]);
  });
});

describe('writeNormalized', () => {
  const img: RgbImage = { data: new Uint8Array([10, 20, 30, 40, 50, 60]), width: 2, height: 1 };

  it('writes planar RGB, (p × scale − mean) / std per channel', () => {
    const out = new Float32Array(6);
    writeNormalized(img, norm, 'rgb', out);
    const expected = [
      (0.1 - 0.1) / 0.5,
      (0.4 - 0.1) / 0.5,
      (0.2 - 0.2) / 0.25,
      (0.5 - 0.2) / 0.25,
      0,
      (0.6 - 0.3) / 2,
    ];
    for (const [i, v] of expected.entries()) expect(out[i]).toBeCloseTo(v, 5);
  });

  it('puts blue first for BGR models, with the first mean/std on it', () => {
    const out = new Float32Array(6);
    writeNormalized(img, unit, 'bgr', out);
    expect([...out]).toEqual([30, 60, 20, 50, 10, 40]);
  });

  it('honours offset and strides (a padded batch slot)', () => {
    const out = new Float32Array(2 + 3 * 4).fill(-1);
    writeNormalized(img, unit, 'rgb', out, 2, 4, 4);
    expect([...out]).toEqual([-1, -1, 10, 40, -1, -1, 20, 50, -1, -1, 30, 60, -1, -1]);
  });
});

describe('warpQuad', () => {
  const img = coordinateImage(100, 60);

  it('copies an axis-aligned region pixel for pixel at its own size', () => {
    const out = warpQuad(
      img,
      [
        [20, 10],
        [60, 10],
        [60, 30],
        [20, 30],
      ],
      40,
      20,
    );
    expect(out.width).toBe(40);
    expect(out.height).toBe(20);
    expect(pixel(out, 0, 0)).toEqual([20, 10, 7]);
    expect(pixel(out, 39, 19)).toEqual([59, 29, 7]);
    expect(pixel(out, 13, 5)).toEqual([33, 15, 7]);
  });

  it('turns a tall region 90° counter-clockwise: its top ends up on the left', () => {
    const quad: Quad = [
      [40, 5],
      [50, 5],
      [50, 55],
      [40, 55],
    ];
    const out = warpQuad(img, quad, 50, 10, true);
    // Left column of the output is the region's top row; the output's top row is the region's right column.
    expect(pixel(out, 0, 5)[1]).toBe(5);
    expect(pixel(out, 49, 5)[1]).toBe(54);
    expect(pixel(out, 25, 0)[0]).toBe(49);
    expect(pixel(out, 25, 9)[0]).toBe(40);
  });

  it('repeats the border outside the image', () => {
    const out = warpQuad(
      img,
      [
        [-10, -10],
        [10, -10],
        [10, 10],
        [-10, 10],
      ],
      20,
      20,
    );
    expect(pixel(out, 0, 0)).toEqual([0, 0, 7]);
  });

  it('averages several samples per pixel when shrinking a lot', () => {
    // A 1-px checkerboard shrunk 8× must come out mid-grey, not aliased to black or white.
    const board: RgbImage = { data: new Uint8Array(64 * 64 * 3), width: 64, height: 64 };
    for (let i = 0; i < 64 * 64; i++)
      board.data.fill(((i % 64) + Math.floor(i / 64)) % 2 ? 255 : 0, i * 3, i * 3 + 3);
    const out = warpQuad(
      board,
      [
        [0, 0],
        [64, 0],
        [64, 64],
        [0, 64],
      ],
      8,
      8,
    );
    for (const v of out.data) expect(Math.abs(v - 128)).toBeLessThan(40);
  });
});

describe('recognition inputs', () => {
  it('keeps the aspect ratio at the target height, within 16 px and maxWidth', () => {
    expect(recognitionWidth(200, 24, 48, 3200)).toBe(400);
    expect(recognitionWidth(5, 48, 48, 3200)).toBe(16);
    expect(recognitionWidth(10000, 10, 48, 3200)).toBe(3200);
  });

  it('crops boxes to the recogniser height, tall ones turned', () => {
    const img = coordinateImage(200, 200);
    const settings = { height: 48, maxWidth: 3200, cropMargin: 0, widthScale: 1 };
    const wide = cropForRecognition(
      img,
      [
        [10, 10],
        [110, 10],
        [110, 34],
        [10, 34],
      ],
      settings,
    );
    expect([wide.width, wide.height]).toEqual([200, 48]);
    expect(isTall({ width: 20, height: 100 })).toBe(true);
    const tall = cropForRecognition(
      img,
      [
        [10, 10],
        [34, 10],
        [34, 110],
        [10, 110],
      ],
      settings,
    );
    expect([tall.width, tall.height]).toEqual([200, 48]);
    const padded = cropForRecognition(
      img,
      [
        [10, 10],
        [110, 10],
        [110, 34],
        [10, 34],
      ],
      { ...settings, cropMargin: 0.5 },
    );
    expect([padded.width, padded.height]).toEqual([100, 48]);
  });

  it('batches indices by ascending width', () => {
    expect(widthSortedBatches([300, 100, 200, 50, 400], 2)).toEqual([[3, 1], [2, 0], [4]]);
    expect(widthSortedBatches([], 8)).toEqual([]);
  });

  it('packs crops left-aligned and zero-padded to the widest plus the tail padding', () => {
    const a: RgbImage = { data: new Uint8Array(2 * 1 * 3).fill(255), width: 2, height: 1 };
    const b: RgbImage = { data: new Uint8Array(3 * 1 * 3).fill(0), width: 3, height: 1 };
    const norm = {
      mean: [0.5, 0.5, 0.5] as [number, number, number],
      std: [0.5, 0.5, 0.5] as [number, number, number],
      scale: 1 / 255,
    };
    const { data, dims } = packBatch([a, b], norm, 'bgr');
    const width = 3 + TAIL_PADDING;
    expect(dims).toEqual([2, 3, 1, width]);
    const row = (n: number, c: number) => [...data.subarray((n * 3 + c) * width, (n * 3 + c + 1) * width)];
    const pad = (k: number) => new Array(k).fill(0);
    for (let c = 0; c < 3; c++) {
      expect(row(0, c)).toEqual([1, 1, ...pad(width - 2)]);
      expect(row(1, c)).toEqual([-1, -1, -1, ...pad(width - 3)]);
    }
    expect(packBatch([a], norm, 'bgr', 320).dims).toEqual([1, 3, 1, 320]);
    expect(() => packBatch([], norm, 'bgr')).toThrow(/at least one/);
    expect(() => packBatch([a, { ...b, height: 2, data: new Uint8Array(18) }], norm, 'bgr')).toThrow(
      /share a height/,
    );
  });
});

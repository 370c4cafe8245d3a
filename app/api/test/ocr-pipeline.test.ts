// End to end: the real PP-OCRv4 models on onnxruntime-node, reading generated images of known text.
import { distance } from 'fastest-levenshtein';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToRgb, type TextFixture, textFixture } from '../../../test/fixtures/text-images.js';
import { type OcrManifest, ocrTask } from '../src/tasks/ocr/index.js';
import type { Detection, Predictor, RgbImage } from '../src/tasks/types.js';
import { ocrContext as context, rawOcrManifest as rawManifest } from './helpers/bundled-ocr.js';

const manifest: OcrManifest = ocrTask.manifestSchema.parse(rawManifest);

/** Rows holding dark pixels, grouped into text lines: the ink's bounding box per line. */
function inkLines(img: RgbImage): { x0: number; y0: number; x1: number; y1: number }[] {
  const dark = (x: number, y: number) => {
    const i = (y * img.width + x) * 3;
    return (img.data[i] as number) + (img.data[i + 1] as number) + (img.data[i + 2] as number) < 3 * 128;
  };
  const lines: { x0: number; y0: number; x1: number; y1: number }[] = [];
  for (let y = 0; y < img.height; y++) {
    let x0 = img.width;
    let x1 = -1;
    for (let x = 0; x < img.width; x++) {
      if (dark(x, y)) {
        x0 = Math.min(x0, x);
        x1 = x;
      }
    }
    if (x1 < 0) continue;
    const last = lines.at(-1);
    // The dot of an "i" or a colon leaves a few blank rows inside a line; lines are further apart.
    if (last && y - last.y1 <= 10)
      Object.assign(last, { x0: Math.min(last.x0, x0), x1: Math.max(last.x1, x1), y1: y });
    else lines.push({ x0, y0: y, x1, y1: y });
  }
  return lines;
}

function expectInside(d: Detection, img: RgbImage) {
  expect(d.x_min).toBeGreaterThanOrEqual(0);
  expect(d.y_min).toBeGreaterThanOrEqual(0);
  expect(d.x_max).toBeLessThan(img.width);
  expect(d.y_max).toBeLessThan(img.height);
  expect(d.x_min).toBeLessThan(d.x_max);
  expect(d.y_min).toBeLessThan(d.y_max);
  for (const v of [d.x_min, d.y_min, d.x_max, d.y_max]) expect(Number.isInteger(v)).toBe(true);
  expect(d.polygon).toHaveLength(4);
  for (const [x, y] of d.polygon ?? []) {
    expect(x).toBeGreaterThanOrEqual(d.x_min);
    expect(x).toBeLessThanOrEqual(d.x_max);
    expect(y).toBeGreaterThanOrEqual(d.y_min);
    expect(y).toBeLessThanOrEqual(d.y_max);
  }
}

describe('ocr task on onnxruntime-node', () => {
  let ocr: Predictor;

  beforeAll(async () => {
    ocr = await ocrTask.load(manifest, context);
  });

  afterAll(async () => {
    await ocr?.release();
  });

  describe.each(['word', 'line', 'paragraph', 'page'] as const)('clean render: %s', (name) => {
    let fixture: TextFixture;
    let image: RgbImage;
    let detections: Detection[];

    beforeAll(async () => {
      fixture = await textFixture(name);
      image = await decodeToRgb(fixture.png);
      ({ detections } = await ocr.predict(image, {}));
    });

    it('reads every line, spaces included: exactly, or on the 16-line page with at most 2 edits in all', () => {
      const got = detections.map((d) => d.text);
      if (name !== 'page') expect(got).toEqual(fixture.lines);
      // The page's 30 px DejaVu capitals: PP-OCRv4 may read one "S" as "s" (their shapes differ only in size).
      expect(got).toHaveLength(fixture.lines.length);
      expect(distance(got.join('\n'), fixture.lines.join('\n'))).toBeLessThanOrEqual(2);
    });

    it('returns text detections with confidences, boxes inside the image', () => {
      for (const d of detections) {
        expect(d.class_name).toBe('text');
        expect(d.confidence).toBeGreaterThanOrEqual(manifest.confidence);
        expect(d.confidence).toBeLessThanOrEqual(1);
        expectInside(d, image);
      }
    });

    it('puts each box around its line of ink, not far beyond it', () => {
      const ink = inkLines(image);
      expect(ink).toHaveLength(fixture.lines.length);
      ink.forEach((line, i) => {
        const d = detections[i] as Detection;
        const height = line.y1 - line.y0 + 1;
        // DB boxes (unclip 1.5, PaddleOCR's) hug the glyphs' cores: the tallest glyph may reach a little beyond.
        const slack = Math.max(1, 0.15 * height);
        expect(d.x_min).toBeLessThanOrEqual(line.x0 + slack);
        expect(d.x_max).toBeGreaterThanOrEqual(line.x1 - slack);
        expect(d.y_min).toBeLessThanOrEqual(line.y0 + slack);
        expect(d.y_max).toBeGreaterThanOrEqual(line.y1 - slack);
        expect(d.y_max - d.y_min).toBeLessThan(2 * height);
        expect(line.x0 - d.x_min).toBeLessThan(height);
        expect(d.x_max - line.x1).toBeLessThan(height);
      });
    });
  });

  it('reads the photo-like sample (gradient, texture, noise, rotated 3°, JPEG) with a character error rate under 5%', async () => {
    const fixture = await textFixture('photo');
    expect(fixture.jpeg?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const image = await decodeToRgb(fixture.jpeg as Buffer);
    const { detections, timings } = await ocr.predict(image, {});
    const expected = fixture.lines.join('\n');
    const got = detections.map((d) => d.text).join('\n');
    expect(distance(got, expected) / expected.length).toBeLessThan(0.05);
    expect(detections).toHaveLength(fixture.lines.length);
    for (const d of detections) {
      expectInside(d, image);
      // Text turned 3° counter-clockwise: the box follows it, its right end higher than its left.
      const [topLeft, topRight] = d.polygon as [number, number][];
      expect(topRight?.[1]).toBeLessThan(topLeft?.[1] as number);
    }
    for (const stage of ['preprocess', 'detection', 'recognition', 'postprocess'] as const) {
      expect(timings[stage]).toBeGreaterThan(0);
      expect(timings[stage]).toBeLessThan(60);
    }
  });

  it('reads vertical text by turning tall regions', async () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="360"><rect width="100%" height="100%" fill="#fff"/>' +
      '<text transform="translate(40 40) rotate(90)" font-family="DejaVu Sans" font-size="36">Vertical 42</text></svg>';
    const image = await decodeToRgb(await sharp(Buffer.from(svg)).png().toBuffer());
    const { detections } = await ocr.predict(image, {});
    expect(detections.map((d) => d.text)).toEqual(['Vertical 42']);
    const d = detections[0] as Detection;
    expect(d.y_max - d.y_min).toBeGreaterThan(3 * (d.x_max - d.x_min));
  });

  it('drops lines under the confidence asked for in the request', async () => {
    const image = await decodeToRgb((await textFixture('paragraph')).png);
    const all = (await ocr.predict(image, { confidence: 0 })).detections;
    const sorted = all.map((d) => d.confidence).sort((a, b) => a - b);
    const cut = ((sorted[0] as number) + (sorted.at(-1) as number)) / 2;
    expect(sorted[0]).toBeLessThan(cut);
    const kept = (await ocr.predict(image, { confidence: cut })).detections;
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(all.length);
    expect(kept).toEqual(all.filter((d) => d.confidence >= cut));
  });

  it('reads the same in width-sorted batches as one crop at a time', async () => {
    const batched = await ocrTask.load(
      ocrTask.manifestSchema.parse({
        ...rawManifest,
        recognition: { ...rawManifest.recognition, cpuBatchSize: 3 },
      }),
      context,
    );
    try {
      const fixture = await textFixture('paragraph');
      const { detections } = await batched.predict(await decodeToRgb(fixture.png), {});
      expect(detections.map((d) => d.text)).toEqual(fixture.lines);
    } finally {
      await batched.release();
    }
  });

  it('finds nothing on a blank image, or a 1 × 1 one', async () => {
    const blank = { data: new Uint8Array(300 * 100 * 3).fill(255), width: 300, height: 100 };
    expect((await ocr.predict(blank, { confidence: 0 })).detections).toEqual([]);
    const dot = { data: new Uint8Array([0, 0, 0]), width: 1, height: 1 };
    expect((await ocr.predict(dot, { confidence: 0 })).detections).toEqual([]);
  });

  it('describes its two networks in its model info', () => {
    expect(ocr.info).toMatchObject({
      name: 'ocr',
      task: 'ocr',
      version: 'PP-OCRv4',
      provider: 'cpu',
      labels: ['text'],
    });
    expect(ocr.info.inputs).toEqual([
      { name: 'detection/x', datatype: 'FP32', shape: [-1, 3, -1, -1] },
      { name: 'recognition/x', datatype: 'FP32', shape: [-1, 3, 48, -1] },
    ]);
    expect(ocr.info.outputs).toEqual([
      { name: 'detection/sigmoid_0.tmp_0', datatype: 'FP32', shape: [-1, 1, -1, -1] },
      { name: 'recognition/softmax_11.tmp_0', datatype: 'FP32', shape: [-1, -1, 6625] },
    ]);
  });
});

describe('ocr manifest', () => {
  it('fills the defaults of a minimal manifest', () => {
    const minimal = ocrTask.manifestSchema.parse({ name: 'mine', task: 'ocr', files: rawManifest.files });
    expect(minimal).toMatchObject({
      version: '1',
      channelOrder: 'bgr',
      confidence: 0.5,
      detection: { maxSide: 960, threshold: 0.3, boxThreshold: 0.6, unclipRatio: 1.5, minBoxSize: 3 },
      recognition: {
        height: 48,
        minWidth: 320,
        batchSize: 8,
        cpuBatchSize: 1,
        spaceChar: true,
        cropMargin: 0,
      },
    });
  });

  it.each([
    [{ files: { detection: 'd.onnx', recognition: 'r.onnx' } }, ['files', 'dictionary']],
    [{ detection: { threshold: 1.5 } }, ['detection', 'threshold']],
    [{ recognition: { batchSize: 0 } }, ['recognition', 'batchSize']],
    [{ channelOrder: 'rbg' }, ['channelOrder']],
    [{ detection: { unclipRatio: 2, tresh: 0.3 } }, ['detection']],
    [{ task: 'detect' }, ['task']],
    [{ direction: { threshold: 1 } }, ['direction', 'threshold']],
    [{ files: { ...rawManifest.files, direction: 7 } }, ['files', 'direction']],
  ])('names the bad field: %j', (patch, path) => {
    const result = ocrTask.manifestSchema.safeParse({ ...rawManifest, ...patch });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(path);
  });

  it('refuses to load when the dictionary does not match the recogniser classes', async () => {
    const wrong = ocrTask.manifestSchema.parse({ ...rawManifest, recognition: { spaceChar: false } });
    await expect(ocrTask.load(wrong, context)).rejects.toThrow(/6625 classes but the dictionary gives 6624/);
  });

  it('refuses to load a missing model file, naming it', async () => {
    const missing = ocrTask.manifestSchema.parse({
      ...rawManifest,
      files: { ...rawManifest.files, detection: 'nope.onnx' },
    });
    await expect(ocrTask.load(missing, context)).rejects.toThrow(/nope\.onnx/);
  });
});

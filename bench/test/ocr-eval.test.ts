// The OCR evaluation set end to end on a small subset: ImageMagick renders it from Debian's fonts, the real
// PP-OCRv4 models read it through the OCR task, and the scorer holds the pipeline to the bar. The full
// 300-image split, with both peers, runs in `npm run bench`.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OcrManifest, ocrTask } from '../../app/api/src/tasks/ocr/index.js';
import type { Predictor } from '../../app/api/src/tasks/types.js';
import { evaluate } from '../lib/ocr-eval/evaluate.js';
import {
  type EvalImage,
  FONT_PACKAGES,
  generateSet,
  IMAGE_CLASSES,
  specFor,
  tuningSeed,
} from '../lib/ocr-eval/generate.js';
import { inProcessReader } from '../lib/ocr-eval/readers.js';

const modelDir = resolve(import.meta.dirname, '../../models/ocr');

describe('OCR evaluation set', () => {
  let cacheDir: string;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'modelship-ocr-eval-'));
  });

  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('renders the same bytes for the same split, and different images for the other split', async () => {
    const first = await generateSet({ split: 'eval', count: 2, cacheDir });
    const again = await generateSet({ split: 'eval', count: 2, cacheDir: join(cacheDir, 'again') });
    expect(again).toHaveLength(2);
    first.forEach((image, k) => {
      expect(again[k]?.bytes.equals(image.bytes)).toBe(true);
      expect(again[k]?.lines).toEqual(image.lines);
    });
    const tune = await generateSet({ split: 'tune', count: 2, cacheDir });
    expect(tune.map((i) => i.lines)).not.toEqual(first.map((i) => i.lines));
  });

  it('draws more tuning images of one class from an extra tuning seed, never from the evaluation split', async () => {
    const extra = await generateSet({ split: 'tune', count: 12, extraSeed: 1, classes: ['noisy'], cacheDir });
    expect(extra.map((i) => i.id)).toEqual(['tune1-001-noisy', 'tune1-007-noisy']);
    const tune = Array.from({ length: 12 }, (_, i) => specFor('tune', i).lines);
    for (const image of extra) expect(tune).not.toContainEqual(image.lines);
    await expect(generateSet({ split: 'eval', count: 1, extraSeed: 1, cacheDir })).rejects.toThrow(/tuning/);
    expect(() => tuningSeed(-1)).toThrow(/evaluation seed/);
  });

  it('varies what the issue asks for over the 300 images, with some fonts only in the evaluation split', () => {
    const specs = Array.from({ length: 300 }, (_, i) => specFor('eval', i));
    const tuneFonts = new Set(Array.from({ length: 300 }, (_, i) => specFor('tune', i).font.file));
    const evalFonts = new Set(specs.map((s) => s.font.file));
    expect(evalFonts.size).toBeGreaterThanOrEqual(14);
    expect([...evalFonts].filter((f) => !tuneFonts.has(f)).length).toBeGreaterThanOrEqual(8);
    expect(new Set(specs.map((s) => s.font.kind))).toEqual(
      new Set(['sans', 'serif', 'mono', 'condensed', 'cjk']),
    );
    expect(specs.filter((s) => s.minCanvas[0] > 3000).length).toBeGreaterThanOrEqual(10);
    expect(Math.min(...specs.map((s) => s.pointSize))).toBeLessThanOrEqual(16);
    expect(Math.max(...specs.map((s) => s.pointSize))).toBeGreaterThanOrEqual(70);
    expect(Math.max(...specs.map((s) => s.lines.length))).toBe(6);
    expect(Math.max(...specs.map((s) => Math.abs(s.angle)))).toBeGreaterThan(5);
    expect(specs.filter((s) => s.perspective).length).toBeGreaterThan(10);
    expect(specs.filter((s) => s.gaussian > 0).length).toBeGreaterThan(10);
    expect(specs.filter((s) => s.impulse > 0).length).toBeGreaterThan(5);
    const qualities = specs.flatMap((s) => (s.jpegQuality === undefined ? [] : [s.jpegQuality]));
    expect(Math.min(...qualities)).toBeLessThanOrEqual(55);
    expect(Math.max(...qualities)).toBeGreaterThanOrEqual(90);
    const text = specs.flatMap((s) => s.lines).join('\n');
    for (const pattern of [/@example\./, /\$\d+\.\d\d/, /\d+\/\d\d\/\d{4}/, /(\w)\1/, /[出口]/])
      expect(text).toMatch(pattern);
  });

  it('uses fonts from every Debian package it names', () => {
    expect(FONT_PACKAGES).toEqual([
      'fonts-dejavu-core',
      'fonts-freefont-ttf',
      'fonts-liberation',
      'fonts-noto-cjk',
      'fonts-noto-core',
      'fonts-urw-base35',
    ]);
  });

  describe('the OCR task on a subset of the evaluation split', () => {
    let ocr: Predictor;
    let images: EvalImage[];

    beforeAll(async () => {
      const manifest: OcrManifest = ocrTask.manifestSchema.parse(
        JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8')),
      );
      ocr = await ocrTask.load(manifest, {
        modelDir,
        providers: ['cpu'],
        sessionOptions: { executionProviders: ['cpu'], intraOpNumThreads: 1 },
      });
      // Every 25th of the 300 images: two of each class, fonts of both splits.
      images = await generateSet({ split: 'eval', count: 300, stride: 25, cacheDir });
    }, 240_000);

    afterAll(async () => {
      await ocr?.release();
    });

    it('covers every image class, tiny canvases among them', () => {
      expect(new Set(images.map((i) => i.imageClass))).toEqual(new Set(IMAGE_CLASSES));
      expect(Math.min(...images.map((i) => i.width))).toBeLessThan(300);
    });

    it('reads it within the bar: CER ≤ 0.5 % spaces ignored, ≤ 1 % with spaces, no line split or missed', async () => {
      const result = await evaluate(images, [inProcessReader(ocr)], 'eval');
      const all = result.rows.find((r) => r.scope === 'all');
      const misreads = result.outcomes
        .filter((o) => o.score.edits > 0)
        .map((o) => `${o.id}: ${JSON.stringify(o.truth)} → ${JSON.stringify(o.read)}`);
      expect(all?.totals.images).toBe(images.length);
      expect(all?.cerNoSpaces, misreads.join('\n')).toBeLessThanOrEqual(0.005);
      expect(all?.cerWithSpaces, misreads.join('\n')).toBeLessThanOrEqual(0.01);
      expect(all?.totals.splitLines).toBe(0);
      expect(all?.totals.missedLines).toBe(0);
    }, 240_000);
  });
});

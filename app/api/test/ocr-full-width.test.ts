// Full-width forms in the text read: folded to ASCII in Latin text, kept in CJK text.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldFullWidth } from '../src/tasks/ocr/full-width.js';
import type { Predictor } from '../src/tasks/types.js';
import { loadBundledOcr } from './helpers/bundled-ocr.js';

describe('foldFullWidth', () => {
  it('folds full-width punctuation, letters and digits in Latin text to ASCII', () => {
    expect(foldFullWidth('Open meeting 555-7204！')).toBe('Open meeting 555-7204!');
    expect(foldFullWidth('（off balloon little)')).toBe('(off balloon little)');
    expect(foldFullWidth('Total：$１２.５０ ＯＫ')).toBe('Total:$12.50 OK');
    expect(foldFullWidth('！？～')).toBe('!?~');
  });

  it('keeps full-width forms next to CJK text, looking past spaces and other full-width forms', () => {
    expect(foldFullWidth('请勿停车！')).toBe('请勿停车！');
    expect(foldFullWidth('（出口）')).toBe('（出口）');
    expect(foldFullWidth('出口 ！！')).toBe('出口 ！！');
    expect(foldFullWidth('カタカナ、ＯＫ')).toBe('カタカナ、ＯＫ');
    expect(foldFullWidth('안녕！')).toBe('안녕！');
    // Mixed: each form follows its own neighbours.
    expect(foldFullWidth('出口（EXIT） here！')).toBe('出口（EXIT) here!');
  });

  it('leaves text without full-width forms, and the forms outside U+FF01-FF5E, unchanged', () => {
    expect(foldFullWidth('plain ASCII: $5!')).toBe('plain ASCII: $5!');
    expect(foldFullWidth('')).toBe('');
    // U+3000 (ideographic space), U+FF61 (half-width 。) and U+FFE5 (full-width yen) have no ASCII form here.
    expect(foldFullWidth('a\u3000b ｡ ￥5')).toBe('a\u3000b ｡ ￥5');
  });
});

describe('the OCR task on Chinese text with full-width punctuation', () => {
  let ocr: Predictor;

  beforeAll(async () => {
    ocr = await loadBundledOcr();
  });

  afterAll(async () => {
    await ocr?.release();
  });

  it('keeps the full-width forms the recogniser reads inside a Chinese line (Noto Sans CJK)', async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="520" height="150">
      <rect width="100%" height="100%" fill="white"/>
      <text x="20" y="60" font-family="Noto Sans CJK SC" font-size="40">请勿停车！</text>
      <text x="20" y="125" font-family="Noto Sans CJK SC" font-size="40">营业时间：9:00</text>
    </svg>`;
    const { data, info } = await sharp(Buffer.from(svg))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const result = await ocr.predict({ data, width: info.width, height: info.height }, {});
    expect(result.detections.map((d) => d.text)).toEqual(['请勿停车！', '营业时间：9:00']);
  });
});

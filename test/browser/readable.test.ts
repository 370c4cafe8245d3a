// Results that stay readable and errors that stay visible, in real headless Chromium against the real API
// (OCR model) and UI servers, at desktop and phone sizes: a dense page whose every line stays visible with
// labels on and off, a rejected file on a phone, the text view, a tiny image, and "copy as curl" for a sample
// run exactly as copied, from the repository root.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, openBrowser, RESULTS, ROOT, stackForSuite, startApi, startUi } from './stack.js';

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Placement {
  boxes: { index: number; rect: Rect }[];
  placement: { index: number; mode: 'text' | 'number' | 'none'; rect?: Rect }[];
}

const WORDS =
  'amber basil cedar delta ember fjord grove harbor island jungle kettle lantern meadow north orbit'
    .split(' ')
    .concat('pebble quartz river summit timber umbra velvet willow yonder zephyr 17 42 305 2026'.split(' '));

/** Seven lines of generated words (a seeded generator, not text the pipeline was tuned on), set tightly. */
async function densePage(seed: number): Promise<{ png: Buffer; lines: string[] }> {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const lines = Array.from({ length: 7 }, () =>
    Array.from({ length: 3 + Math.floor(next() * 4) }, () => WORDS[Math.floor(next() * WORDS.length)]).join(
      ' ',
    ),
  );
  const fontSize = 26;
  const pitch = Math.round(fontSize * 1.35); // less than a label's height between two lines
  const height = 40 + pitch * lines.length;
  const text = lines
    .map((l, i) => `<text x="24" y="${30 + fontSize + i * pitch}" font-size="${fontSize}">${l}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="760" height="${height}"><rect width="100%" height="100%" fill="#fff"/><g font-family="DejaVu Sans" fill="#111">${text}</g></svg>`;
  return { png: await sharp(Buffer.from(svg)).png().toBuffer(), lines };
}

const squash = (s: string) => s.replace(/\s+/g, '').toLowerCase();
const intersects = (a: Rect, b: Rect) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

interface Drawing extends Placement {
  /** The canvas pixels inside every outline (device pixels), hashed: one string per outline. */
  pixels: string[];
  /** The detection hovered ('' for none): a hovered one is filled and the others dimmed. */
  highlight: string;
}

/**
 * What the canvas shows once the page has settled: where the outlines and labels went, and the pixels inside
 * every outline, read in one task of the page so that no redraw (a refit, a hover) can fall between the two.
 */
async function drawing(page: Page): Promise<Drawing> {
  // Strings, run in the page: this file is type-checked without the DOM library.
  await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
  return page.evaluate(`(() => {
    const canvas = document.getElementById('canvas');
    const drawn = JSON.parse(canvas.dataset.placement || '{}');
    const ctx = canvas.getContext('2d');
    const dpr = canvas.width / canvas.getBoundingClientRect().width;
    const pixels = (drawn.boxes || []).map(({ rect: r }) => {
      // Inside the outline's stroke: the text the model read.
      const x = Math.ceil((r.x + 4) * dpr);
      const y = Math.ceil((r.y + 4) * dpr);
      const w = Math.max(1, Math.floor((r.w - 8) * dpr));
      const h = Math.max(1, Math.floor((r.h - 8) * dpr));
      const data = ctx.getImageData(x, y, w, h).data;
      let hash = 0;
      for (let i = 0; i < data.length; i++) hash = (hash * 31 + data[i]) | 0;
      return w + 'x' + h + ':' + hash;
    });
    return { ...drawn, pixels, highlight: canvas.dataset.highlight };
  })()`);
}

async function upload(page: Page, name: string, mimeType: string, buffer: Buffer) {
  await page.locator('#file').setInputFiles({ name, mimeType, buffer });
}

async function predictAndWait(page: Page, click: () => Promise<void>) {
  const response = page.waitForResponse(
    (r) => r.url().includes('/predict') && r.request().method() === 'POST',
  );
  await click();
  expect((await response).status()).toBe(200);
  await page.locator('#predict[aria-busy="false"]').waitFor();
  await page.locator('#table-wrap:not([hidden])').waitFor();
}

const stack = stackForSuite();

for (const device of [
  {
    name: 'desktop',
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 2,
    isMobile: false,
    seed: 11,
  },
  { name: 'phone', viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, seed: 29 },
]) {
  describe(device.name, () => {
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      const { name: _, seed: __, ...options } = device;
      browser = await openBrowser({ ...options, hasTouch: device.isMobile });
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.ui.url });
      page = await browser.context.newPage();
      await page.goto(stack.ui.url);
      await page.locator('#api-status[data-state="ready"]').waitFor();
      await page.locator('#model option[value="ocr"]').waitFor({ state: 'attached' });
    });

    afterAll(async () => {
      await browser?.close();
    });

    it('keeps every line of a dense 7-line page visible, with labels on and with labels off', async () => {
      const dense = await densePage(device.seed);
      await upload(page, 'dense.png', 'image/png', dense.png);
      await predictAndWait(page, () => page.locator('#predict').click());
      const rows = await page.locator('#detections tbody tr[data-index] td.label').allTextContents();
      for (const line of dense.lines) expect(rows.map(squash)).toContain(squash(line));

      // The pointer still rests where Predict was, and the results laid out under it could be hovered: out of
      // the way, so that both drawings below differ by the labels alone.
      await page.mouse.move(0, 0);

      // Labels on: no label covers any outline or another label, and each is either the text or the row number.
      const on = await drawing(page);
      expect(on.highlight).toBe('');
      expect(on.boxes).toHaveLength(rows.length);
      const labelRects = on.placement.flatMap((p) => (p.rect ? [p.rect] : []));
      expect(labelRects.length).toBeGreaterThan(0);
      for (const label of labelRects) {
        for (const { rect } of on.boxes) expect(intersects(label, rect)).toBe(false);
        for (const other of labelRects) if (other !== label) expect(intersects(label, other)).toBe(false);
      }
      await page.locator('#figure').screenshot({ path: join(RESULTS, `dense-${device.name}-labels-on.png`) });

      // Labels off: nothing placed, the image does not move, and the pixels inside every outline are the same
      // as with labels on: the labels never painted over the text.
      await page.getByLabel('Labels on the image').setChecked(false);
      const off = await drawing(page);
      expect(off.highlight).toBe('');
      expect(off.placement).toEqual([]);
      expect(off.boxes).toEqual(on.boxes);
      expect(off.pixels).toEqual(on.pixels);
      await page
        .locator('#figure')
        .screenshot({ path: join(RESULTS, `dense-${device.name}-labels-off.png`) });

      // Hovering a box (labels off) shows its whole text.
      const box = off.boxes[3]?.rect;
      const canvas = await page.locator('#canvas').boundingBox();
      if (!box || !canvas) throw new Error('no box or canvas to hover');
      await page.mouse.move(canvas.x + box.x + box.w / 2, canvas.y + box.y + box.h / 2);
      await expect.poll(() => page.locator('#hover-text').textContent()).toBe(rows[3]);
      await page.getByLabel('Labels on the image').setChecked(true);

      // The text view: the lines in reading order.
      const text = await page.locator('#text-lines').inputValue();
      expect(text.split('\n').map(squash)).toEqual(dense.lines.map(squash));
    });

    it('shows a rejected file where the user is looking, and Predict does not run the previous image', async () => {
      await page.evaluate('window.scrollTo(0, 0)');
      const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///ywAAAAAAQABAAACAUwAOw==', 'base64');
      await upload(page, 'party.gif', 'image/gif', gif);
      const problem = page.locator('#problem');
      await problem.waitFor({ state: 'visible' });
      expect(await problem.textContent()).toContain('party.gif');
      await expect.poll(() => problem.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
      await expect
        .poll(async () => {
          const box = await problem.boundingBox();
          return box !== null && box.y >= 0 && box.y + box.height <= device.viewport.height;
        })
        .toBe(true);
      await page.screenshot({ path: join(RESULTS, `rejected-${device.name}.png`) });
      expect(await page.locator('#predict').isDisabled()).toBe(true);
      expect(await page.locator('#image-name').textContent()).toContain('was not used');
    });

    it('enlarges a tiny image for display', async () => {
      const tiny = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#fff' } })
        .png()
        .toBuffer();
      await upload(page, 'tiny.png', 'image/png', tiny);
      await page.locator('#figure:not([hidden])').waitFor();
      const width = await page.locator('#canvas').evaluate((c) => c.getBoundingClientRect().width);
      expect(width).toBeGreaterThanOrEqual(20 * 6);
      expect(await page.locator('#caption').textContent()).toMatch(/Press Predict/);
    });
  });
}

describe('copy as curl for a sample', () => {
  let browser: Browser;

  afterAll(async () => {
    await browser?.close();
  });

  it('names the sample by its path in the repository, and runs as copied from the repository root', async () => {
    browser = await openBrowser({ viewport: { width: 1280, height: 900 } });
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.ui.url });
    const page = await browser.context.newPage();
    await page.goto(stack.ui.url);
    await page.locator('#api-status[data-state="ready"]').waitFor();
    await page.locator('#model option[value="ocr"]').waitFor({ state: 'attached' });
    await predictAndWait(page, () => page.getByRole('button', { name: 'Try the receipt sample' }).click());
    const rows = await page.locator('#detections tbody tr[data-index] td.label').allTextContents();

    await page.getByRole('button', { name: 'Copy as curl' }).click();
    await expect.poll(() => page.locator('#copy-status').textContent()).toContain('modelship folder');
    const command = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(command).toContain("@'app/ui/web/samples/receipt.png'");

    const script = join(RESULTS, 'copied-curl.sh');
    await writeFile(script, `${command}\n`);
    try {
      const answer = JSON.parse(
        execFileSync('sh', [script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }),
      );
      const texts = (answer.detections as { text: string; confidence: number }[])
        .filter((d) => d.confidence >= 0.5)
        .map((d) => d.text);
      expect(texts).toEqual(rows);
    } finally {
      await rm(script, { force: true });
    }

    // A later prediction clears "Copied.".
    await predictAndWait(page, () => page.getByRole('button', { name: 'Try the slide sample' }).click());
    expect(await page.locator('#copy-status').textContent()).toBe('');
  });
});

describe('a model that failed to load', () => {
  it('is listed with the reason and cannot be picked, while the others serve', async () => {
    const modelsDir = await mkdtemp(join(tmpdir(), 'modelship-models-'));
    await mkdir(join(modelsDir, 'ocr'));
    await copyFile(join(ROOT, 'models/ocr/model.json'), join(modelsDir, 'ocr/model.json'));
    await mkdir(join(modelsDir, 'broken'));
    await writeFile(
      join(modelsDir, 'broken/model.json'),
      JSON.stringify({ name: 'broken', task: 'detect', model: 'best.onnx' }),
    );
    await writeFile(join(modelsDir, 'broken/best.onnx'), '');
    const ownApi = await startApi({ env: { MODELS_DIR: modelsDir, WORKERS: '1' } });
    const ownUi = await startUi(ownApi.url);
    const browser = await openBrowser({ viewport: { width: 1280, height: 900 } });
    try {
      const page = await browser.context.newPage();
      await page.goto(ownUi.url);
      const broken = page.locator('#model option[value="broken"]');
      await broken.waitFor({ state: 'attached', timeout: 15_000 });
      expect(await broken.textContent()).toBe('broken (failed to load)');
      expect(await broken.isDisabled()).toBe(true);
      expect(await page.locator('#model').inputValue()).toBe('ocr');
      expect(await page.locator('#model-info').textContent()).toMatch(
        /“broken” failed to load: .*best\.onnx is empty/,
      );
      await predictAndWait(page, () => page.getByRole('button', { name: 'Try the receipt sample' }).click());
    } finally {
      await browser.close();
      await ownUi.stop();
      await ownApi.stop();
      await rm(modelsDir, { recursive: true, force: true });
    }
  });
});

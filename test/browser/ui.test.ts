// The companion page in real headless Chromium, against the real API (OCR model) and UI servers.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TextFixture, textFixture } from '../fixtures/text-images.js';
import { freePort } from '../helpers/free-port.js';
import { type Browser, openBrowser, RESULTS, ROOT, stackForSuite, startUi } from './stack.js';

interface Prediction {
  model: string;
  time: number;
  detections: { text?: string; class_name: string; confidence: number }[];
}

function photoJpeg(fixture: TextFixture): Buffer {
  if (!fixture.jpeg) throw new Error('the photo fixture has no JPEG');
  return fixture.jpeg;
}

/** OCR spacing is the API's business (tested there); here we check the page shows what was read. */
const squash = (s: string) => s.replace(/\s+/g, '');

async function tableLabels(page: Page): Promise<string[]> {
  return page.locator('#detections tbody tr[data-index] td.label').allTextContents();
}

async function drawnLabels(page: Page): Promise<string[]> {
  return JSON.parse((await page.locator('#canvas').getAttribute('data-labels')) ?? '[]');
}

/** True when the page is wider than the viewport (a horizontal scrollbar). */
async function scrollsSideways(page: Page): Promise<boolean> {
  return page.locator('html').evaluate((html) => html.scrollWidth > html.clientWidth);
}

/** Watches the page for script errors and console errors (CSP violations are reported there). */
function watch(page: Page) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) errors.push(m.text());
  });
  const predictions: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/predict')) predictions.push(r.url());
  });
  return { errors, predictions };
}

async function predictAndWait(page: Page, click: () => Promise<void>): Promise<Prediction> {
  const response = page.waitForResponse(
    (r) => r.url().includes('/api/v1/models/') && r.request().method() === 'POST',
  );
  await click();
  const answer = await response;
  expect(answer.status()).toBe(200);
  const body = (await answer.json()) as Prediction;
  await page.locator('#predict[aria-busy="false"]').waitFor();
  return body;
}

const stack = stackForSuite();

describe('desktop', () => {
  let browser: Browser;
  let page: Page;
  let seen: ReturnType<typeof watch>;
  let lastPrediction: Prediction;

  beforeAll(async () => {
    browser = await openBrowser({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 2 });
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.ui.url });
    page = await browser.context.newPage();
    seen = watch(page);
    await page.goto(stack.ui.url);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the API as ready and lists the model', async () => {
    await expect
      .poll(() => page.locator('#api-status').getAttribute('data-state'), { timeout: 15_000 })
      .toBe('ready');
    await expect.poll(() => page.locator('#api-status').textContent()).toMatch(/API ready · v\d/);
    // The badge turns ready before the model list arrives (a second request), so wait for the list too.
    await expect
      .poll(() => page.locator('#model option').evaluateAll((os) => os.map((o) => o.value)))
      .toContain('ocr');
    await page.getByLabel('Model', { exact: true }).selectOption('ocr');
    expect(await page.locator('#model-info').textContent()).toContain('CPU');
    expect(await page.locator('#predict').isDisabled()).toBe(true); // no image yet
  });

  it('reads an uploaded image: the table and the drawn labels show its text', async () => {
    // The photo-like fixture: text on a textured background, slightly rotated, as a JPEG.
    const fixture = await textFixture('photo');
    await page
      .locator('#file')
      .setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: photoJpeg(fixture) });
    await expect.poll(() => page.locator('#image-name').textContent()).toContain('photo.jpg');
    lastPrediction = await predictAndWait(page, () => page.getByRole('button', { name: 'Predict' }).click());

    const rows = await tableLabels(page);
    const readable = rows.map(squash);
    for (const line of fixture.lines) expect(readable).toContain(squash(line));
    expect(await drawnLabels(page)).toEqual(rows);
    expect(await page.locator('#canvas').getAttribute('aria-label')).toContain(rows[0]);

    // What the table shows is what the API answered, at the slider's 50%.
    const expected = lastPrediction.detections.filter((d) => d.confidence >= 0.5).map((d) => d.text ?? '');
    expect(rows).toEqual(expected);
    await expect.poll(() => page.locator('#server-time').textContent()).toMatch(/^\d+ ms$|^\d+\.\d\d s$/);
    expect(await page.locator('#round-trip').textContent()).toMatch(/^\d+ ms$|^\d+\.\d\d s$/);

    // Crisp on HiDPI: the backing store has devicePixelRatio (2) pixels per CSS pixel, and fits the column.
    // (The root tsconfig has no DOM types, so the element is typed by the fields read here.)
    const canvas = await page
      .locator('#canvas')
      .evaluate(
        (c: {
          width: number;
          getBoundingClientRect(): { width: number };
          parentElement: { clientWidth: number };
        }) => ({
          width: c.width,
          css: c.getBoundingClientRect().width,
          column: c.parentElement.clientWidth,
        }),
      );
    expect(canvas.width).toBe(Math.round(canvas.css * 2));
    expect(canvas.css).toBeLessThanOrEqual(canvas.column);
    await page.screenshot({ path: join(RESULTS, 'desktop-result.png'), fullPage: true });
  });

  it('highlights the outline of the row under the pointer or the keyboard focus', async () => {
    const second = page.locator('#detections tbody tr').nth(1);
    const index = await second.getAttribute('data-index');
    await second.hover();
    await expect.poll(() => page.locator('#canvas').getAttribute('data-highlight')).toBe(index);
    expect(await second.getAttribute('class')).toContain('active');
    await page.screenshot({ path: join(RESULTS, 'desktop-hover.png') });
    await page.mouse.move(5, 5);
    await expect.poll(() => page.locator('#canvas').getAttribute('data-highlight')).toBe('');
    await page.locator('#detections tbody tr').first().focus();
    await expect
      .poll(() => page.locator('#canvas').getAttribute('data-highlight'))
      .toBe(await page.locator('#detections tbody tr').first().getAttribute('data-index'));
  });

  it('re-filters with the slider in the page, without another request', async () => {
    const requests = seen.predictions.length;
    const all = lastPrediction.detections;
    const slider = page.getByLabel('Minimum confidence');
    await slider.focus();
    await page.keyboard.press('End'); // 100%
    expect(await page.locator('#confidence-value').textContent()).toBe('100%');
    const sure = all.filter((d) => d.confidence >= 1).length;
    await expect.poll(() => tableLabels(page).then((r) => r.length)).toBe(sure);
    expect(await drawnLabels(page)).toHaveLength(sure);
    if (sure === 0)
      expect(await page.locator('#detections tbody').textContent()).toMatch(/move the slider left/);

    await page.keyboard.press('Home'); // 5%, the floor the page asked the API for
    expect(await page.locator('#confidence-value').textContent()).toBe('5%');
    await expect.poll(() => tableLabels(page).then((r) => r.length)).toBe(all.length);
    expect(await drawnLabels(page)).toHaveLength(all.length);
    expect(await page.locator('#shown-count').textContent()).toBe(`${all.length} / ${all.length}`);
    expect(seen.predictions.length).toBe(requests);
  });

  it('downloads the JSON, and copies a curl command that works', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('photo.ocr.json');
    const saved = JSON.parse(await readFile((await download.path()) as string, 'utf8')) as Prediction;
    expect(saved).toEqual(lastPrediction);

    await page.getByRole('button', { name: 'Copy as curl' }).click();
    await expect.poll(() => page.locator('#copy-status').textContent()).toMatch(/Copied/);
    const command = (await page.evaluate('navigator.clipboard.readText()')) as string;
    expect(command).toBe(await page.locator('#curl').textContent());
    expect(command).toContain(`${stack.ui.url}/api/v1/models/ocr/predict?confidence=0.05`);

    // Run it as a user would, next to the image file.
    const dir = await mkdtemp(join(tmpdir(), 'modelship-curl-'));
    try {
      await writeFile(join(dir, 'photo.jpg'), photoJpeg(await textFixture('photo')));
      const out = execFileSync('sh', ['-c', command], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      const answer = JSON.parse(out) as Prediction;
      expect(answer.detections.map((d) => squash(d.text ?? ''))).toEqual(
        lastPrediction.detections.filter((d) => d.confidence >= 0.05).map((d) => squash(d.text ?? '')),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs a bundled sample in one click', async () => {
    const body = await predictAndWait(page, () =>
      page.getByRole('button', { name: 'Try the receipt sample' }).click(),
    );
    expect(body.model).toBe('ocr');
    const rows = (await tableLabels(page)).map(squash);
    for (const text of ['CORNERMARKET', 'Milk', '2.49', 'TOTAL', '9.84']) expect(rows).toContain(text);
    expect(await drawnLabels(page)).toEqual(await tableLabels(page));
    expect(await page.locator('#image-name').textContent()).toContain('receipt.png');
  });

  // What each bundled sample says, line by line in reading order: the first thing a new user sees must be right.
  const SAMPLE_TEXT: Record<string, string[]> = {
    'shop sign': ['OPEN 24 HOURS', 'Fresh coffee and bagels', '12 Harbor Street'],
    receipt: [
      'CORNER MARKET',
      'Milk',
      '2.49',
      'Bread',
      '3.10',
      'Apples',
      '4.25',
      'TOTAL',
      '9.84',
      'Thank you for shopping',
    ],
    slide: [
      'Ship your model today',
      'Train it on your laptop',
      'Serve it with one command',
      'Share the HTTPS link',
      'modelship',
    ],
  };

  it.each(Object.entries(SAMPLE_TEXT))('reads the %s sample exactly, line by line', async (name, lines) => {
    const body = await predictAndWait(page, () =>
      page.getByRole('button', { name: `Try the ${name} sample` }).click(),
    );
    expect(body.detections.map((d) => d.text)).toEqual(lines);
    expect((await tableLabels(page)).map((label) => label.trim())).toEqual(lines);
  });

  it('takes an image by drag-and-drop and by paste', async () => {
    // The same events a browser fires for a real drop or Ctrl+V, carrying a real PNG file.
    const dispatch = (event: 'drop' | 'paste', name: string) =>
      page.evaluate(`(async () => {
        const bytes = await (await fetch(document.querySelector('[data-sample="slide"] img').src)).blob();
        const data = new DataTransfer();
        data.items.add(new File([bytes], ${JSON.stringify(name)}, { type: 'image/png' }));
        const target = ${JSON.stringify(event)} === 'drop' ? document.getElementById('dropzone') : document;
        target.dispatchEvent(${JSON.stringify(event)} === 'drop'
          ? new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true })
          : new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      })()`);
    await dispatch('drop', 'dropped.png');
    await expect.poll(() => page.locator('#image-name').textContent()).toContain('dropped.png · 800×450');
    expect(await page.locator('#predict').isEnabled()).toBe(true);
    await dispatch('paste', 'pasted.png');
    await expect.poll(() => page.locator('#image-name').textContent()).toContain('pasted.png · 800×450');
  });

  it('works from the keyboard, with a visible focus ring', async () => {
    const sample = page.getByRole('button', { name: 'Try the slide sample' });
    await page.locator('#model').focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab'); // the samples follow the model picker
    expect(await sample.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    expect(
      await sample.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).outlineStyle),
    ).toBe('solid');
    const body = await predictAndWait(page, () => page.keyboard.press('Enter'));
    expect(body.detections.map((d) => squash(d.text ?? ''))).toContain('Shipyourmodeltoday');
    expect((await tableLabels(page)).map(squash)).toContain('Shipyourmodeltoday');
  });

  it('says in plain words when a file is not an image', async () => {
    await page
      .locator('#file')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hi') });
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('“notes.txt” is not an image.');
    await page.locator('#file').setInputFiles({
      name: 'broken.png',
      mimeType: 'image/png',
      buffer: Buffer.from('not really a png'),
    });
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain('could not be opened as an image');
  });

  it('takes a PNG whose file name has no extension (the browser gives it no type): typed by its bytes', async () => {
    const fixture = await textFixture('word');
    await page.locator('#file').setInputFiles({ name: 'scan_noext', mimeType: '', buffer: fixture.png });
    await expect.poll(() => page.locator('#image-name').textContent()).toMatch(/^scan_noext · \d+×\d+/);
    const upload = page.waitForRequest((r) => r.url().includes('/api/v1/models/') && r.method() === 'POST');
    const body = await predictAndWait(page, () => page.getByRole('button', { name: 'Predict' }).click());
    expect((await upload).headers()['content-type']).toBe('image/png');
    expect(body.detections.length).toBeGreaterThan(0);
  });

  it('keeps the last picked image when an earlier, larger one finishes decoding after it', async () => {
    // 6000×6000 takes the browser far longer to decode than the word image picked right after it.
    const large = await sharp({ create: { width: 6000, height: 6000, channels: 3, background: '#fff' } })
      .png({ compressionLevel: 1 })
      .toBuffer();
    const small = (await textFixture('word')).png;
    const file = page.locator('#file');
    await file.setInputFiles({ name: 'large.png', mimeType: 'image/png', buffer: large });
    await file.setInputFiles({ name: 'small.png', mimeType: 'image/png', buffer: small });
    await expect.poll(() => page.locator('#image-name').textContent()).toContain('small.png');
    // long enough for the large decode to have finished: the page must still show the small image
    await page.waitForTimeout(4000);
    expect(await page.locator('#image-name').textContent()).toContain('small.png');
  });

  it('loaded without script errors or Content-Security-Policy violations', () => {
    expect(seen.errors).toEqual([]);
  });
});

describe('the build', () => {
  it('ships under 150 KB of gzipped JavaScript, precompressed, with nothing from a CDN', async () => {
    const dist = join(ROOT, 'app/ui/dist/public');
    const assets = await readdir(join(dist, 'assets'));
    const scripts = assets.filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    let gzipped = 0;
    for (const file of scripts) {
      expect(assets).toContain(`${file}.br`);
      gzipped += (await stat(join(dist, 'assets', `${file}.gz`))).size;
    }
    expect(gzipped).toBeLessThan(150 * 1024);
    const html = await readFile(join(dist, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(?:src|href)=["']?(?:https?:)?\/\//);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline scripts (the CSP forbids them)
    for (const css of assets.filter((f) => f.endsWith('.css'))) {
      expect(await readFile(join(dist, 'assets', css), 'utf8')).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//);
    }
  });
});

describe('phone', () => {
  it('fits 360 px with no horizontal scroll, in dark mode, before and after a prediction', async () => {
    const browser = await openBrowser({
      viewport: { width: 360, height: 740 },
      deviceScaleFactor: 3,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'dark',
    });
    try {
      const page = await browser.context.newPage();
      const seen = watch(page);
      await page.goto(stack.ui.url);
      await expect
        .poll(() => page.locator('#api-status').getAttribute('data-state'), { timeout: 15_000 })
        .toBe('ready');
      expect(await scrollsSideways(page)).toBe(false);
      await page.screenshot({ path: join(RESULTS, 'phone-start.png'), fullPage: true });

      await predictAndWait(page, () => page.getByRole('button', { name: 'Try the shop sign sample' }).tap());
      const rows = (await tableLabels(page)).map(squash);
      expect(rows).toContain('OPEN24HOURS');
      expect(rows).toContain('Freshcoffeeandbagels');
      expect(await scrollsSideways(page)).toBe(false);
      const width = await page
        .locator('#canvas')
        .evaluate((c: { getBoundingClientRect(): { width: number } }) => c.getBoundingClientRect().width);
      expect(width).toBeLessThanOrEqual(360);
      await page.screenshot({ path: join(RESULTS, 'phone-result.png'), fullPage: true });
      expect(seen.errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('when things go wrong', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await openBrowser({ viewport: { width: 1024, height: 768 } });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('says so when the API is down', async () => {
    const down = await startUi(`http://127.0.0.1:${await freePort()}`, { PROXY_RETRY_MS: '1000' });
    try {
      const page = await browser.context.newPage();
      await page.goto(down.url);
      await expect.poll(() => page.locator('#api-status').getAttribute('data-state')).toBe('down');
      expect(await page.locator('#api-status').textContent()).toContain('API down');
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toContain('The model server is not reachable.');
      expect(await page.locator('#predict').isDisabled()).toBe(true);
      await page.screenshot({ path: join(RESULTS, 'api-down.png') });
      await page.close();
    } finally {
      await down.stop();
    }
  });

  it('says the image is too large when it is over the upload limit', async () => {
    // BODY_LIMIT_MB is in MiB: 0.019 MiB is 19,922 bytes, under the fixture's size.
    const small = await startUi(stack.api.url, { BODY_LIMIT_MB: '0.019' });
    try {
      const page = await browser.context.newPage();
      await page.goto(small.url);
      await expect
        .poll(() => page.locator('#api-status').getAttribute('data-state'), { timeout: 15_000 })
        .toBe('ready');
      const fixture = await textFixture('page');
      expect(fixture.png.length).toBeGreaterThan(20_000);
      await page
        .locator('#file')
        .setInputFiles({ name: 'page.png', mimeType: 'image/png', buffer: fixture.png });
      await page.getByRole('button', { name: 'Predict' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('This image is too large.');
      await page.close();
    } finally {
      await small.stop();
    }
  });
});

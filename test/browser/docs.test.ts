// The API's Swagger UI, straight from the API (:8000/docs) and behind the UI's proxy (/api/docs), in real
// headless Chromium: "Try it out" on GET /health calls the health route where the page is served (before, at
// /api/docs it called /health, the UI's own route space), and the page loads without CSP violations.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Browser, openBrowser, stackForSuite } from './stack.js';

const stack = stackForSuite();
let browser: Browser;
beforeAll(async () => {
  browser = await openBrowser({ viewport: { width: 1280, height: 900 } });
});
afterAll(async () => {
  await browser?.close();
});

for (const [where, base, healthPath] of [
  ['the API', () => stack.api.url, '/health'],
  ['the UI proxy', () => `${stack.ui.url}/api`, '/api/health'],
] as const) {
  it(`${where}: "Try it out" on GET /health calls ${healthPath}, with no CSP violations`, async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${base()}/docs`);
    const operation = page.locator('.opblock-get', { has: page.locator('[data-path="/health"]') }).first();
    await operation.locator('.opblock-summary-control').click();
    await operation.locator('button.try-out__btn').click();
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/health')),
      operation.locator('button.execute').click(),
    ]);
    expect(new URL(response.url()).pathname).toBe(healthPath);
    expect(response.status()).toBe(200);
    expect(problems).toEqual([]);
    await page.close();
  });
}

for (const [where, root, docs] of [
  ['the API', () => stack.api.url, '/docs'],
  ['the UI proxy, /api', () => `${stack.ui.url}/api`, '/api/docs'],
  ['the UI proxy, /api/', () => `${stack.ui.url}/api/`, '/api/docs'],
] as const) {
  it(`${where}: the root leads to the Swagger UI at ${docs} (was the UI's 404 behind the proxy)`, async () => {
    const page = await browser.context.newPage();
    const response = await page.goto(root());
    expect(new URL(page.url()).pathname).toBe(docs);
    expect(response?.status()).toBe(200);
    await page.locator('.swagger-ui .info .title').waitFor();
    await page.close();
  });
}

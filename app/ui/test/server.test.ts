import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/free-port.js';
import { createApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import type { LogEvent } from '../server/log.js';
import { connectionErrorCode, isNotReady } from '../server/proxy.js';
import { APP_JS, INDEX_HTML, listen, type Running, staticDir } from './helpers.js';

interface FakeState {
  /** The predict route answers 503 not_ready this many times before working. */
  notReadyFor: number;
  calls: number;
  /** Requests that reached the API's /metrics. */
  metricsScrapes: number;
}

/** A stand-in for the inference API, with the behaviours the proxy must pass through or ride out. */
function fakeApi(state: FakeState) {
  const api = new Hono();
  api.get('/health', (c) => c.json({ status: 'ok', version: '9.9.9', models: ['ocr'] }));
  api.get('/echo', (c) =>
    c.json(
      {
        path: c.req.path,
        query: c.req.query(),
        forwardedFor: c.req.header('x-forwarded-for') ?? null,
        forwardedHost: c.req.header('x-forwarded-host') ?? null,
        retryHeader: c.req.header('x-proxy-retry') ?? null,
        ...(c.req.query('headers') === undefined ? {} : { headers: c.req.header() }),
      },
      200,
      { 'x-api-header': 'kept' },
    ),
  );
  // Ignores Accept-Encoding on purpose: the client must still get a body that matches its headers.
  api.get('/gzipped', (c) =>
    c.body(new Uint8Array(gzipSync('{"ok":true}')), 200, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    }),
  );
  api.post(
    '/v1/models/ocr/predict',
    bodyLimit({
      maxSize: 1024 * 1024,
      onError: (c) => c.json({ error: 'payload_too_large', detail: 'over 1 MB' }, 413),
    }),
    async (c) => {
      state.calls += 1;
      if (state.calls <= state.notReadyFor) {
        return c.json({ error: 'not_ready', detail: 'the models are still loading' }, 503, {
          'retry-after': '1',
        });
      }
      const body = new Uint8Array(await c.req.arrayBuffer());
      return c.json({ bytes: body.length, type: c.req.header('content-type'), last: body.at(-1) }, 200);
    },
  );
  api.post('/busy', (c) => {
    state.calls += 1;
    return c.json({ error: 'queue_full', detail: 'the server is busy' }, 503, { 'retry-after': '1' });
  });
  api.get('/metrics', (c) => {
    state.metricsScrapes += 1;
    return c.text('modelship_http_requests_total 1\n');
  });
  api.get('/missing', (c) =>
    c.json({ error: 'model_not_found', detail: 'unknown model; available: ocr' }, 404),
  );
  api.get('/slow', async (c) => {
    await new Promise((r) => setTimeout(r, 3_000));
    return c.text('late');
  });
  return api;
}

const events: Record<string, unknown>[] = [];
const log = (e: LogEvent) => events.push(e);
let dir: string;
let api: Running;
const state: FakeState = { notReadyFor: 0, calls: 0, metricsScrapes: 0 };

beforeAll(async () => {
  dir = await staticDir();
  api = await listen(fakeApi(state));
});
afterAll(async () => {
  await api.close();
});

describe('static front end', () => {
  it('serves index.html at / with no-cache and the security headers', async () => {
    const app = createApp({ apiUrl: api.url, staticDir: dir, log });
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(INDEX_HTML);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('serves hashed assets as immutable, brotli or gzip when the client accepts it', async () => {
    const app = createApp({ apiUrl: api.url, staticDir: dir, log });
    const br = await app.request('/assets/app-abc123.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(br.headers.get('vary')).toContain('Accept-Encoding');
    const gz = await app.request('/assets/app-abc123.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const plain = await app.request('/assets/app-abc123.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(APP_JS);
  });

  it('decodes to the same bytes through a real server (fetch decompresses)', async () => {
    const ui = await listen(createApp({ apiUrl: api.url, staticDir: dir, log }));
    try {
      const res = await fetch(`${ui.url}/assets/app-abc123.js`, { headers: { 'accept-encoding': 'br' } });
      expect(res.headers.get('content-encoding')).toBe('br');
      expect(await res.text()).toBe(APP_JS);
    } finally {
      await ui.close();
    }
  });

  it('answers 404 for unknown files and refuses path traversal', async () => {
    const app = createApp({ apiUrl: api.url, staticDir: dir, log });
    expect((await app.request('/nope.js')).status).toBe(404);
    expect((await app.request('/assets/../../../etc/passwd')).status).toBe(404);
    expect((await app.request('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404);
  });

  it('has /healthz for the container healthcheck, whatever the API does', async () => {
    const app = createApp({ apiUrl: `http://127.0.0.1:${await freePort()}`, staticDir: dir, log });
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('/api proxy', () => {
  let ui: Running;
  beforeAll(async () => {
    ui = await listen(createApp({ apiUrl: api.url, staticDir: dir, log, proxy: { retryWindowMs: 3_000 } }));
  });
  afterAll(async () => {
    await ui.close();
  });

  it('forwards path and query, passes status and headers back, adds X-Forwarded-*', async () => {
    const res = await fetch(`${ui.url}/api/echo?a=1&b=two%20words`, { headers: { 'x-proxy-retry': 'off' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-api-header')).toBe('kept');
    expect(await res.json()).toEqual({
      path: '/echo',
      query: { a: '1', b: 'two words' },
      forwardedFor: '127.0.0.1',
      forwardedHost: new URL(ui.url).host,
      retryHeader: null,
    });
  });

  it('passes API errors through unchanged', async () => {
    const res = await fetch(`${ui.url}/api/missing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'model_not_found', detail: 'unknown model; available: ocr' });
  });

  it('keeps body and headers consistent when the API compresses anyway', async () => {
    const res = await fetch(`${ui.url}/api/gzipped`);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('sends a raw image body through byte for byte', async () => {
    state.calls = 0;
    state.notReadyFor = 0;
    const body = new Uint8Array(300_000).map((_, i) => i % 251);
    const res = await fetch(`${ui.url}/api/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body,
    });
    expect(await res.json()).toEqual({ bytes: 300_000, type: 'image/png', last: 299_999 % 251 });
  });

  it('streams a body without Content-Length (chunked) to the API', async () => {
    state.calls = 0;
    state.notReadyFor = 0;
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${ui.url}/api/v1/models/ocr/predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write(new Uint8Array(10_000).fill(7));
      req.end();
    });
    expect(JSON.parse(text)).toEqual({ bytes: 100_000, type: 'image/jpeg', last: 7 });
  });

  it('forwards a body sent with Expect: 100-continue (as curl does over 1 MB)', async () => {
    state.calls = 0;
    state.notReadyFor = 0;
    const body = new Uint8Array(200_000).fill(9);
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${ui.url}/api/v1/models/ocr/predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/png', 'content-length': body.length, expect: '100-continue' },
      });
      req.on('continue', () => req.end(body));
      req.on('response', (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve(`${res.statusCode} ${data}`));
      });
      req.on('error', reject);
    });
    expect(text).toBe(`200 ${JSON.stringify({ bytes: 200_000, type: 'image/png', last: 9 })}`);
  });

  it('lets the API answer 413 to a body over its limit', async () => {
    state.calls = 0;
    state.notReadyFor = 0;
    const res = await fetch(`${ui.url}/api/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(3 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers 413 itself to a body over its own cap, without contacting the API', async () => {
    const small = await listen(
      createApp({ apiUrl: api.url, staticDir: dir, log, proxy: { maxBodyBytes: 2_000_000 } }),
    );
    try {
      state.calls = 0;
      const res = await fetch(`${small.url}/api/v1/models/ocr/predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: new Uint8Array(3 * 1024 * 1024),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toEqual({
        error: 'payload_too_large',
        detail: 'The upload is 3 MiB; the limit is 1.91 MiB.',
      });
      expect(state.calls).toBe(0);
    } finally {
      await small.close();
    }
  });

  it('cuts a chunked body with 413 once it passes the limit', async () => {
    const small = await listen(
      createApp({ apiUrl: api.url, staticDir: dir, log, proxy: { maxBodyBytes: 500_000 } }),
    );
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(`${small.url}/api/v1/models/ocr/predict`, {
          method: 'POST',
          headers: { 'content-type': 'image/png', 'transfer-encoding': 'chunked' },
        });
        req.on('response', (res) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => resolve(`${res.statusCode} ${data}`));
        });
        req.on('error', reject);
        for (let i = 0; i < 10; i++) req.write(new Uint8Array(100_000));
        req.end();
      });
      expect(answer).toBe(
        `413 ${JSON.stringify({ error: 'payload_too_large', detail: 'The upload is over the 0.48 MiB limit.' })}`,
      );
    } finally {
      await small.close();
    }
  });

  // (Node's own parser answers TRACK with a bare 400, and closes CONNECT: only TRACE reaches the proxy.)
  it('answers TRACE with 405 and Allow itself (fetch cannot send it), without an error log', async () => {
    for (const method of ['TRACE']) {
      const errorsBefore = events.filter((e) => e.severity === 'ERROR').length;
      const answer = await new Promise<{ status?: number; allow?: string; body: string }>(
        (resolve, reject) => {
          const req = httpRequest(`${ui.url}/api/health`, { method });
          req.on('response', (res) => {
            let data = '';
            res.on('data', (d) => (data += d));
            res.on('end', () => resolve({ status: res.statusCode, allow: res.headers.allow, body: data }));
          });
          req.on('error', reject);
          req.end();
        },
      );
      expect(answer.status, answer.body).toBe(405);
      expect(answer.allow).toContain('GET');
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'method_not_allowed' });
      expect(events.filter((e) => e.severity === 'ERROR').length).toBe(errorsBefore);
    }
  });

  it('drops hop-by-hop and Connection-listed headers, and the client’s X-Forwarded-*', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${ui.url}/api/echo?headers`, {
        headers: {
          connection: 'keep-alive, x-hop-secret',
          'x-hop-secret': 'for the proxy only',
          'keep-alive': 'timeout=5',
          'x-forwarded-for': '6.6.6.6',
          'x-forwarded-host': 'evil.example',
          'x-forwarded-proto': 'https',
          forwarded: 'for=6.6.6.6',
          'x-end-to-end': 'kept',
        },
      });
      req.on('response', (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end();
    });
    const { headers, forwardedFor, forwardedHost } = JSON.parse(text);
    expect(headers['x-end-to-end']).toBe('kept');
    for (const name of ['x-hop-secret', 'keep-alive', 'forwarded']) expect(headers[name]).toBeUndefined();
    expect(forwardedFor).toBe('127.0.0.1');
    expect(forwardedHost).toBe(new URL(ui.url).host);
    expect(headers['x-forwarded-proto']).toBe('http');
  });

  it('believes X-Forwarded-* only when told the front sets them (TRUST_PROXY)', async () => {
    const trusting = await listen(
      createApp({ apiUrl: api.url, staticDir: dir, log, proxy: { trustForwarded: true } }),
    );
    try {
      const res = await fetch(`${trusting.url}/api/echo`, {
        headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-host': 'demo.example.org' },
      });
      expect(await res.json()).toMatchObject({
        forwardedFor: '203.0.113.7, 127.0.0.1',
        forwardedHost: 'demo.example.org',
      });
    } finally {
      await trusting.close();
    }
  });

  it('does not forward /metrics by default, however the path is spelled', async () => {
    const before = state.metricsScrapes;
    for (const path of ['/api/metrics', '/api/metrics/', '/api//metrics', '/api/%6Detrics', '/api/METRICS']) {
      const res = await fetch(`${ui.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toMatchObject({ error: 'not_found' });
    }
    expect(state.metricsScrapes).toBe(before);
    expect((await fetch(`${ui.url}/api/echo`)).status).toBe(200); // the rest of the API still is
  });

  it('PROXY_METRICS forwards /metrics to the monitoring, but never a request that came through the front', async () => {
    const settings = { trustForwarded: true, proxyMetrics: true };
    const scraping = await listen(createApp({ apiUrl: api.url, staticDir: dir, log, proxy: settings }));
    try {
      const before = state.metricsScrapes;
      // the Ops Agent, on the VM's loopback: no X-Forwarded-For
      const direct = await fetch(`${scraping.url}/api/metrics`);
      expect(direct.status).toBe(200);
      expect(await direct.text()).toContain('modelship_http_requests_total');
      expect(state.metricsScrapes).toBe(before + 1);
      // through Caddy, which always sets X-Forwarded-For
      const viaFront = await fetch(`${scraping.url}/api/metrics`, {
        headers: { 'x-forwarded-for': '203.0.113.7' },
      });
      expect(viaFront.status).toBe(404);
      expect(state.metricsScrapes).toBe(before + 1);
    } finally {
      await scraping.close();
    }
  });

  it('puts the UI’s security headers on proxied answers too', async () => {
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      httpRequest(`${ui.url}/api/echo`, { agent: false }, (res) => {
        res.resume();
        resolve(res.headers);
      })
        .on('error', reject)
        .end();
    });
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['x-frame-options']).toBe('DENY');
  });

  it('retries a buffered POST while the API says not_ready, then returns its answer', async () => {
    state.calls = 0;
    state.notReadyFor = 3;
    const res = await fetch(`${ui.url}/api/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ bytes: 3, type: 'image/png', last: 3 });
    expect(state.calls).toBe(4);
  });

  it('passes not_ready straight back when the client asks for no retries (the status badge)', async () => {
    state.calls = 0;
    state.notReadyFor = 1;
    const res = await fetch(`${ui.url}/api/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png', 'x-proxy-retry': 'off' },
      body: new Uint8Array([1]),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ error: 'not_ready' });
    expect(state.calls).toBe(1);
  });

  it('does not retry queue_full: the API is up, retrying would only add load', async () => {
    state.calls = 0;
    const res = await fetch(`${ui.url}/api/busy`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'queue_full', detail: 'the server is busy' });
    expect(state.calls).toBe(1);
  });

  it('gives up on not_ready after the retry window and passes the 503 on', async () => {
    const short = await listen(
      createApp({ apiUrl: api.url, staticDir: dir, log, proxy: { retryWindowMs: 500 } }),
    );
    try {
      state.calls = 0;
      state.notReadyFor = 1_000;
      const started = Date.now();
      const res = await fetch(`${short.url}/api/v1/models/ocr/predict`, { method: 'POST', body: 'x' });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'not_ready' });
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(state.calls).toBeGreaterThan(1);
    } finally {
      state.notReadyFor = 0;
      await short.close();
    }
  });
});

describe('/api proxy while the API is down or restarting', () => {
  it('answers a clear JSON 502 when nothing listens, after the retry window', async () => {
    const port = await freePort();
    const ui = await listen(
      createApp({ apiUrl: `http://127.0.0.1:${port}`, staticDir: dir, log, proxy: { retryWindowMs: 400 } }),
    );
    try {
      const res = await fetch(`${ui.url}/api/health`);
      expect(res.status).toBe(502);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await res.json()) as { error: string; detail: string };
      expect(body.error).toBe('api_unreachable');
      expect(body.detail).toContain('ECONNREFUSED');
      expect(body.detail).not.toContain(String(port)); // the internal address stays in the log
      expect(events.some((e) => e.message === 'api unreachable' && e.code === 'ECONNREFUSED')).toBe(true);
    } finally {
      await ui.close();
    }
  });

  it('answers 502 when the API host name does not resolve', async () => {
    const app = createApp({
      apiUrl: 'http://modelship-no-such-host.invalid:8000',
      staticDir: dir,
      log,
      proxy: { retryWindowMs: 300 },
    });
    const res = await app.request('/api/health');
    expect(res.status).toBe(502);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });

  it('rides out an API restart: requests sent while it is down are answered once it is back', async () => {
    const port = await freePort();
    const ui = await listen(
      createApp({
        apiUrl: `http://127.0.0.1:${port}`,
        staticDir: dir,
        log,
        proxy: { retryWindowMs: 10_000 },
      }),
    );
    let restarted: Running | undefined;
    try {
      const get = fetch(`${ui.url}/api/health`);
      const post = fetch(`${ui.url}/api/v1/models/ocr/predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/webp' },
        body: new Uint8Array(5_000).fill(9),
      });
      await new Promise((r) => setTimeout(r, 800));
      restarted = await listen(fakeApi({ notReadyFor: 0, calls: 0, metricsScrapes: 0 }), port);
      const [health, predicted] = await Promise.all([get, post]);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });
      expect(predicted.status).toBe(200);
      expect(await predicted.json()).toEqual({ bytes: 5_000, type: 'image/webp', last: 9 });
    } finally {
      await restarted?.close();
      await ui.close();
    }
  });

  it('answers 504 when the API takes longer than the timeout', async () => {
    const ui = await listen(createApp({ apiUrl: api.url, staticDir: dir, log, proxy: { timeoutMs: 1_000 } }));
    try {
      const res = await fetch(`${ui.url}/api/slow`);
      expect(res.status).toBe(504);
      expect(await res.json()).toMatchObject({ error: 'api_timeout' });
    } finally {
      await ui.close();
    }
  });
});

describe('connectionErrorCode and isNotReady', () => {
  it('finds the code in fetch’s cause chain, including happy-eyeballs AggregateErrors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(connectionErrorCode(new TypeError('fetch failed', { cause: refused }))).toBe('ECONNREFUSED');
    expect(
      connectionErrorCode(
        new TypeError('fetch failed', { cause: new AggregateError([new Error('x'), refused]) }),
      ),
    ).toBe('ECONNREFUSED');
    expect(
      connectionErrorCode(new TypeError('fetch failed', { cause: new Error('bad header') })),
    ).toBeUndefined();
    expect(connectionErrorCode('nope')).toBeUndefined();
  });

  it('recognises only the API’s not_ready error', () => {
    expect(isNotReady('{"error":"not_ready","detail":"loading"}')).toBe(true);
    expect(isNotReady('{"error":"queue_full","detail":"not ready"}')).toBe(false);
    expect(isNotReady('<html>503 Service Unavailable</html>')).toBe(false);
  });
});

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8501,
      apiUrl: 'http://localhost:8000',
      proxy: {
        retryWindowMs: 30_000,
        timeoutMs: 120_000,
        maxBodyBytes: 20 * 1024 * 1024,
        trustForwarded: false,
        proxyMetrics: false,
      },
      httpTimeouts: { headers: 10, upload: 60, keepAlive: 5 },
    });
    expect(config.staticDir).toMatch(/public$/);
  });

  it('reads PORT, API_URL and the proxy settings', () => {
    const config = loadConfig({
      PORT: '9000',
      API_URL: 'http://api:8000/',
      PROXY_RETRY_MS: '0',
      BODY_LIMIT_MB: '5',
      TRUST_PROXY: 'true',
      PROXY_METRICS: 'true',
      HEADERS_TIMEOUT: '3',
    });
    expect(config).toMatchObject({
      port: 9000,
      apiUrl: 'http://api:8000',
      proxy: { retryWindowMs: 0, maxBodyBytes: 5 * 1024 * 1024, trustForwarded: true, proxyMetrics: true },
      httpTimeouts: { headers: 3 },
    });
  });

  it('refuses bad values, naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
    expect(() => loadConfig({ API_URL: 'localhost:8000' })).toThrow(/API_URL/);
    expect(() => loadConfig({ API_URL: 'ftp://x' })).toThrow(/API_URL/);
    expect(() => loadConfig({ PROXY_TIMEOUT_MS: '-5' })).toThrow(/PROXY_TIMEOUT_MS/);
    expect(() => loadConfig({ BODY_LIMIT_MB: '0' })).toThrow(/BODY_LIMIT_MB/);
    expect(() => loadConfig({ TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ PROXY_METRICS: 'sure' })).toThrow(/PROXY_METRICS/);
  });
});

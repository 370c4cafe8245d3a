// CORS: off by default (a page on another origin gets no Access-Control-* headers), and CORS_ORIGINS lets the
// pages it names call the API from a browser, preflight included, through a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Listening, listen, startRuntime, type TestRuntime } from './helpers/api-runtime.js';

const preflight = (origin: string): RequestInit => ({
  method: 'OPTIONS',
  headers: {
    Origin: origin,
    'Access-Control-Request-Method': 'POST',
    'Access-Control-Request-Headers': 'content-type',
  },
});

let closed: TestRuntime;
let open: TestRuntime;
let server: Listening;
beforeAll(async () => {
  closed = await startRuntime();
  open = await startRuntime({ CORS_ORIGINS: 'https://app.example.com' });
  server = await listen(open);
  await Promise.all([closed.pool.ready, open.pool.ready]);
});
afterAll(async () => {
  await server?.close();
  await Promise.all([closed?.pool.close(), open?.pool.close()]);
});

describe('without CORS_ORIGINS', () => {
  it('a preflight is refused as any unknown method is, with no Access-Control-* header', async () => {
    const res = await closed.app.request('/v1/models/ocr/predict', preflight('https://app.example.com'));
    expect(res.status).toBe(405);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an answer to another origin carries no Access-Control-Allow-Origin', async () => {
    const res = await closed.app.request('/health', { headers: { Origin: 'https://app.example.com' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('with CORS_ORIGINS=https://app.example.com, on a real server', () => {
  it('answers the preflight of a listed origin with the methods and headers a prediction needs', async () => {
    const res = await fetch(`${server.url}/v1/models/ocr/predict`, preflight('https://app.example.com'));
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    expect(res.headers.get('vary')?.toLowerCase()).toContain('origin');
  });

  it('lets the listed origin read a prediction and its errors', async () => {
    const res = await fetch(`${server.url}/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { Origin: 'https://app.example.com', 'Content-Type': 'image/png' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(await res.json()).toMatchObject({ error: 'invalid_image', field: 'image' });
  });

  it('gives an origin it does not list no Access-Control-Allow-Origin', async () => {
    const res = await fetch(`${server.url}/v1/models/ocr/predict`, preflight('https://evil.example'));
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

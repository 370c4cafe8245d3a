// Hostile request shapes a fresh-eyes tester found, through the real app (app.request()): each gets a clear
// JSON error naming the problem, fast, and the process stays healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../src/json-body.js';
import { startRuntime, type TestRuntime } from './helpers/api-runtime.js';

let rt: TestRuntime;
let half: TestRuntime;
const request = (path: string, init?: RequestInit) => rt.app.request(path, init);
type ErrorJson = { error: string; detail?: string; field?: string };
const json = async (res: Response) => (await res.json()) as ErrorJson;
const postJson = (path: string, body: string, headers: Record<string, string> = {}) =>
  request(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

beforeAll(async () => {
  rt = await startRuntime({ WORKERS: '1' });
  half = await startRuntime({ WORKERS: '1', BODY_LIMIT_MB: '0.5' });
  await Promise.all([rt.pool.ready, half.pool.ready]);
});
afterAll(async () => {
  await rt?.pool.close();
  await half?.pool.close();
});

it('a fractional BODY_LIMIT_MB is named as set (0.5 MiB, was rounded to 1)', async () => {
  const res = await half.app.request('/v1/models/ocr/predict', {
    method: 'POST',
    headers: { 'Content-Type': 'image/png' },
    body: new Uint8Array(600 * 1024),
  });
  expect(res.status).toBe(413);
  expect((await json(res)).detail).toBe('the request body is over the 0.5 MiB limit');
});

describe('deeply nested JSON is refused before it is parsed', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('legacy /predict: 400 naming the body and the limit', async () => {
    const res = await postJson('/predict', nested(1_000_000));
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body).toMatchObject({ error: 'validation_error', field: 'body' });
    expect(body.detail).toMatch(new RegExp(`nested more than ${MAX_JSON_DEPTH} levels`));
  });

  it('v2 infer, JSON and binary-extension bodies: 400 naming the nesting', async () => {
    const deep = `{"inputs":[{"name":"image","datatype":"BYTES","shape":[1],"data":${nested(100_000)}}]}`;
    for (const res of [
      await postJson('/v2/models/ocr/infer', deep),
      await request('/v2/models/ocr/infer', {
        method: 'POST',
        headers: { 'Inference-Header-Content-Length': String(deep.length) },
        body: deep,
      }),
    ]) {
      const body = await json(res);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.error).toMatch(/nested more than/);
    }
  });

  it('brackets inside strings do not count, and nesting up to the limit is parsed as usual', async () => {
    const strings = JSON.stringify({ model: 'ocr', image: '['.repeat(10_000) });
    const res = await postJson('/predict', strings);
    expect(res.status).toBe(400); // not base64 of an image, but read past the brackets
    expect((await json(res)).field).toBe('image');
    const atLimit = `{"model":"ocr","image":"aGVsbG8=","x":${nested(MAX_JSON_DEPTH - 1)}}`;
    const ok = await postJson('/predict', atLimit);
    expect((await json(ok)).detail).not.toMatch(/nested/);
  });

  it('/health answers afterwards', async () => {
    expect((await request('/health')).status).toBe(200);
  });
});

describe('v2 tensor data must be nested no deeper than its shape', () => {
  it('OCR image input nested 60 levels: 400 naming inputs.0.data (was a 500 stack overflow)', async () => {
    let data: unknown = 'aGVsbG8=';
    for (let i = 0; i < 60; i++) data = [data];
    const res = await postJson(
      '/v2/models/ocr/infer',
      JSON.stringify({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data }] }),
    );
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error).toMatch(/^inputs\.0\.data: .*nested deeper than its shape \[1\]/);
  });
});

describe('routing', () => {
  it('a known path with the wrong method is a 405 with Allow (was 404)', async () => {
    const res = await request('/predict', { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await json(res)).toMatchObject({ error: 'method_not_allowed' });
    const models = await request('/v1/models/ocr', { method: 'DELETE' });
    expect(models.status).toBe(405);
    expect(models.headers.get('allow')).toBe('GET, HEAD');
    expect((await request('/no/such/path', { method: 'GET' })).status).toBe(404);
  });

  it('GET / redirects to the API docs, relative to where it is served (so /api/ leads to /api/docs)', async () => {
    const res = await request('/');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('docs');
  });

  it('Inference-Header-Content-Length must be a decimal integer', async () => {
    const header = JSON.stringify({
      inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: ['eA=='] }],
    });
    for (const length of ['1e2', '0x10', '', ' ', '-1', '1.5']) {
      const res = await request('/v2/models/ocr/infer', {
        method: 'POST',
        headers: { 'Inference-Header-Content-Length': length },
        body: header,
      });
      expect(res.status, length).toBe(400);
      expect((await json(res)).error).toMatch(/decimal integer/);
    }
  });
});

describe('error bodies name what to send and the field at fault', () => {
  it('a truncated PNG: 400 invalid_image naming the image, with no dangling colon in the detail', async () => {
    const { textFixture } = await import('../../../test/fixtures/text-images.js');
    const png = (await textFixture('word')).png;
    const res = await request('/v1/models/ocr/predict', {
      method: 'POST',
      headers: { 'Content-Type': 'image/png' },
      body: new Uint8Array(png.subarray(0, Math.floor(png.length * 0.6))),
    });
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_image', field: 'image' });
    expect(body.detail).not.toMatch(/:\s*$/);
  });

  for (const [path, contentType] of [
    ['/v1/models/ocr/predict', 'text/plain'],
    ['/v1/models/ocr/predict', 'application/octet-stream'],
    ['/predict', 'application/x-www-form-urlencoded'],
  ] as const) {
    it(`${contentType} to ${path}: 415 naming the Content-Type and how to send an image`, async () => {
      const res = await request(path, {
        method: 'POST',
        headers: { 'Content-Type': contentType },
        body: 'x=1',
      });
      const body = await json(res);
      expect(res.status, JSON.stringify(body)).toBe(415);
      expect(body.field).toBe('content-type');
      expect(body.detail).toContain(contentType);
      expect(body.detail).toMatch(/image\/png|application\/json/);
    });
  }
});

describe('?confidence=', () => {
  const predict = (query: string) =>
    request(`/v1/models/ocr/predict?${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/png' },
      body: new Uint8Array([0x89, 0x50, 0x4e, 0x47]),
    });

  it('given twice: 422 saying it must be given once (was "expected number, received NaN")', async () => {
    const res = await predict('confidence=0.5&confidence=0.9');
    const body = await json(res);
    expect(res.status, JSON.stringify(body)).toBe(422);
    expect(body).toMatchObject({ error: 'validation_error', field: 'confidence' });
    expect(body.detail).toBe('confidence: must be given once, got 2 values');
  });

  it('not a number, or out of 0..1: 422 naming the field', async () => {
    for (const query of ['confidence=high', 'confidence=2']) {
      const res = await predict(query);
      const body = await json(res);
      expect(res.status, query).toBe(422);
      expect(body.field, query).toBe('confidence');
      expect(body.detail, query).not.toMatch(/NaN/);
    }
  });
});

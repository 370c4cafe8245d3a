// The HTTP contract of issue 2, through app.request() and a real listening server, on the real `ocr` model
// and a real worker pool. One warmed-up runtime is shared by the whole file.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textFixture } from '../../../test/fixtures/text-images.js';
import {
  expectLines,
  jpegClaiming,
  type Listening,
  listen,
  startRuntime,
  type TestRuntime,
  texts,
} from './helpers/api-runtime.js';

const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let rt: TestRuntime;
let png: Buffer; // one line of known text
let expected: string;

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
const raw = (bytes: Uint8Array, type = 'image/png') => ({
  method: 'POST',
  headers: { 'Content-Type': type },
  body: bytes,
});
const multipart = (fields: Record<string, Blob | string>) => {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  return { method: 'POST', body: form };
};
const request = (path: string, init?: RequestInit) => rt.app.request(path, init);

async function expectHealthy(): Promise<void> {
  const res = await request('/health');
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok', ready: true });
}

beforeAll(async () => {
  // Two workers (this machine's cores) and a 2 MB body limit so the 413 row needs no huge upload.
  rt = await startRuntime({ WORKERS: '2', BODY_LIMIT_MB: '2' });
  const line = await textFixture('line');
  png = line.png;
  expected = line.lines[0] ?? '';
});

afterAll(async () => {
  await rt?.pool.close();
});

describe('before warm-up', () => {
  it('is alive but not ready, and refuses predictions with 503 + Retry-After', async () => {
    const ready = await request('/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('1');
    expect(await ready.json()).toMatchObject({ error: 'not_ready' });

    const health = await request('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', version, models: ['ocr'], ready: false, failed: [] });

    const predict = await request('/v1/models/ocr/predict', raw(png));
    expect(predict.status).toBe(503);
    expect(await predict.json()).toMatchObject({ error: 'not_ready' });

    // which models serve is known once they are loaded: both lists say so the same way
    for (const path of ['/models', '/v1/models']) {
      const list = await request(path);
      expect(list.status, path).toBe(503);
      expect(list.headers.get('retry-after'), path).toBe('1');
      expect(await list.json(), path).toMatchObject({ error: 'not_ready' });
    }

    await rt.pool.ready;
    expect((await request('/ready')).status).toBe(200);
  });
});

describe('contract through app.request()', () => {
  beforeAll(() => rt.pool.ready);

  it('GET /health and /ready', async () => {
    expect(await (await request('/health')).json()).toEqual({
      status: 'ok',
      version,
      models: ['ocr'],
      ready: true,
      failed: [],
    });
    const ready = await request('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('GET /models lists the model names', async () => {
    const res = await request('/models');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(['ocr']);
  });

  it('GET /v1/models and /v1/models/{name} describe the model and its execution provider', async () => {
    const list = (await (await request('/v1/models')).json()) as { name: string }[];
    expect(list.map((m) => m.name)).toEqual(['ocr']);
    const res = await request('/v1/models/ocr');
    expect(res.status).toBe(200);
    const info = (await res.json()) as Record<string, unknown>;
    expect(info).toMatchObject({ name: 'ocr', task: 'ocr', provider: 'cpu', status: 'ready' });
    expect(info).toEqual(list[0]);
    // What it advertises is what it takes: OCR is a pipeline, served through the image interface (one BYTES
    // input), not the FP32 tensors of its stages, which /v2 refuses; /v1 and /v2 say the same.
    const v2 = (await (await request('/v2/models/ocr')).json()) as Record<string, unknown>;
    expect(info.inputs).toEqual([{ name: 'image', datatype: 'BYTES', shape: [1] }]);
    expect({ inputs: info.inputs, outputs: info.outputs }).toEqual({
      inputs: v2.inputs,
      outputs: v2.outputs,
    });

    const missing = await request('/v1/models/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: 'model_not_found',
      field: 'name',
      detail: expect.stringContaining('ocr'),
    });
  });

  it('POST /predict (base64 JSON) reads the text, spaces included, in the hands-on shape', async () => {
    const res = await request('/predict', json({ model: 'ocr', image: png.toString('base64') }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      model: string;
      time: number;
      detections: Record<string, unknown>[];
      timings: Record<string, number>;
    };
    expect(body.model).toBe('ocr');
    expect(body.time).toBeGreaterThan(0);
    expect(texts(body as never)).toEqual([expected]);
    const [d] = body.detections;
    expect(d).toMatchObject({ class_name: 'text', text: expected });
    for (const key of ['x_min', 'y_min', 'x_max', 'y_max']) expect(Number.isInteger(d?.[key])).toBe(true);
    expect(d?.confidence).toBeGreaterThan(0.5);
    expect(d?.confidence).toBeLessThanOrEqual(1);
    expect(d?.polygon).toHaveLength(4);
    const { width, height } = await sharp(png).metadata();
    expect(d?.x_min).toBeGreaterThanOrEqual(0);
    expect(d?.x_max).toBeLessThanOrEqual(width ?? 0);
    expect(d?.y_max).toBeLessThanOrEqual(height ?? 0);
    expect(Object.keys(body.timings)).toEqual(expect.arrayContaining(['decode', 'detection', 'recognition']));
  });

  it('POST /predict accepts a data: URL and a confidence threshold', async () => {
    const paragraph = await textFixture('paragraph');
    const image = `data:image/png;base64,${paragraph.png.toString('base64')}`;
    const res = await request('/predict', json({ model: 'ocr', image }));
    expect(res.status).toBe(200);
    expectLines(await res.json(), paragraph.lines);

    const strict = (await (
      await request('/predict', json({ model: 'ocr', image, confidence: 0.999 }))
    ).json()) as { detections: { confidence: number }[] };
    for (const d of strict.detections) expect(d.confidence).toBeGreaterThanOrEqual(0.999);
  });

  it('POST /v1/models/{name}/predict with a multipart `image` field', async () => {
    const res = await request(
      '/v1/models/ocr/predict',
      multipart({ image: new Blob([png], { type: 'image/png' }) }),
    );
    expect(res.status).toBe(200);
    expect(texts(await res.json())).toEqual([expected]);
  });

  it('POST /v1/models/{name}/predict with a raw image/* body (PNG, WebP, photo-like JPEG)', async () => {
    const res = await request('/v1/models/ocr/predict', raw(png));
    expect(res.status).toBe(200);
    expect(texts(await res.json())).toEqual([expected]);

    const webp = await sharp(png).webp({ lossless: true }).toBuffer();
    expect(texts(await (await request('/v1/models/ocr/predict', raw(webp, 'image/webp'))).json())).toEqual([
      expected,
    ]);

    const photo = await textFixture('photo');
    const res2 = await request(
      '/v1/models/ocr/predict?confidence=0.3',
      raw(photo.jpeg ?? photo.png, 'image/jpeg'),
    );
    expect(res2.status).toBe(200);
    expect(texts(await res2.json()).join(' ')).toContain('555-0142');
  });

  it('applies the EXIF orientation before reading', async () => {
    // Stored rotated by 90°, with EXIF orientation 6 ("rotate 90° clockwise to display"): reads upright.
    const rotated = await sharp(png)
      .rotate(-90)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toBuffer();
    const res = await request('/v1/models/ocr/predict', raw(rotated, 'image/jpeg'));
    expect(res.status).toBe(200);
    expect(texts(await res.json())).toEqual([expected]);
  });
});

describe('bad input: a JSON error naming the problem, and the process stays healthy', () => {
  beforeAll(() => rt.pool.ready);

  const gif = () =>
    sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } })
      .gif()
      .toBuffer();
  const bmp = () => {
    const b = Buffer.alloc(70);
    b.write('BM', 0, 'latin1');
    b.writeUInt32LE(70, 2);
    return b;
  };
  const svg = Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
  );
  const pdf = Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n');

  type Row = [string, () => Promise<RequestInit> | RequestInit, string, number, Record<string, unknown>];
  const rows: Row[] = [
    ['malformed JSON', () => json('{"model": "ocr", "image": '), '/predict', 400, { error: 'invalid_json' }],
    ['missing image field', () => json({ model: 'ocr' }), '/predict', 422, { field: 'image' }],
    ['missing model field', () => json({ image: 'aGVsbG8=' }), '/predict', 422, { field: 'model' }],
    ['mistyped image', () => json({ model: 'ocr', image: 42 }), '/predict', 422, { field: 'image' }],
    [
      'mistyped confidence',
      () => json({ model: 'ocr', image: png.toString('base64'), confidence: 'high' }),
      '/predict',
      422,
      { field: 'confidence' },
    ],
    [
      'confidence out of range',
      () => json({ model: 'ocr', image: png.toString('base64'), confidence: 1.5 }),
      '/predict',
      422,
      { field: 'confidence' },
    ],
    ['JSON array body', () => json([1, 2]), '/predict', 422, { error: 'validation_error', field: 'body' }],
    ['JSON null body', () => json('null'), '/predict', 422, { field: 'body' }],
    [
      'plain text to the JSON endpoint',
      () => ({ method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' }),
      '/predict',
      415,
      { error: 'unsupported_media_type', detail: expect.stringContaining('"text/plain"') },
    ],
    [
      'malformed multipart',
      () => ({
        method: 'POST',
        headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' },
        body: '--abc\r\nx',
      }),
      '/v1/models/ocr/predict',
      400,
      { error: 'invalid_body', field: 'body' },
    ],
    ...['gzip', 'br', 'deflate, gzip'].map(
      (encoding): Row => [
        `Content-Encoding: ${encoding} on an image upload (content codings are not decoded)`,
        () => ({
          method: 'POST',
          headers: { 'Content-Type': 'image/png', 'Content-Encoding': encoding },
          body: gzipSync(png),
        }),
        '/v1/models/ocr/predict',
        415,
        {
          error: 'unsupported_media_type',
          field: 'content-encoding',
          detail: expect.stringContaining(
            `Content-Encoding "${encoding}" is not supported: the API does not decode content codings`,
          ),
        },
      ],
    ),
    [
      'invalid base64',
      () => json({ model: 'ocr', image: 'not base64!!' }),
      '/predict',
      400,
      { error: 'invalid_image' },
    ],
    [
      'data: URL without base64',
      () => json({ model: 'ocr', image: 'data:image/png,abc' }),
      '/predict',
      400,
      { error: 'invalid_image' },
    ],
    [
      'base64 of text, not an image',
      () => json({ model: 'ocr', image: Buffer.from('hello, world').toString('base64') }),
      '/predict',
      400,
      { error: 'invalid_image', field: 'image' },
    ],
    [
      'truncated PNG',
      () => json({ model: 'ocr', image: png.subarray(0, png.length / 2).toString('base64') }),
      '/predict',
      400,
      { error: 'invalid_image' },
    ],
    [
      'PNG whose image data CRC is wrong',
      () => {
        const damaged = Buffer.from(png);
        const idat = damaged.indexOf(Buffer.from('IDAT', 'latin1'));
        damaged[idat + 12] = (damaged[idat + 12] as number) ^ 0xff;
        return raw(damaged);
      },
      '/v1/models/ocr/predict',
      400,
      { error: 'invalid_image', field: 'image' },
    ],
    [
      'PNG signature then garbage',
      () => raw(Buffer.concat([png.subarray(0, 8), Buffer.alloc(64, 7)])),
      '/v1/models/ocr/predict',
      400,
      { error: 'invalid_image' },
    ],
    [
      'truncated JPEG',
      async () => {
        const jpeg = await sharp(png).jpeg().toBuffer();
        return raw(jpeg.subarray(0, jpeg.length / 2), 'image/jpeg');
      },
      '/v1/models/ocr/predict',
      400,
      { error: 'invalid_image' },
    ],
    [
      'empty raw body',
      () => raw(new Uint8Array(0)),
      '/v1/models/ocr/predict',
      400,
      { error: 'invalid_image' },
    ],
    [
      'GIF (unsupported)',
      async () => json({ model: 'ocr', image: (await gif()).toString('base64') }),
      '/predict',
      415,
      { error: 'unsupported_media_type', detail: expect.stringContaining('GIF') },
    ],
    [
      'BMP (unsupported)',
      () => raw(bmp(), 'image/bmp'),
      '/v1/models/ocr/predict',
      415,
      { error: 'unsupported_media_type' },
    ],
    [
      'SVG (unsupported)',
      () => raw(svg, 'image/svg+xml'),
      '/v1/models/ocr/predict',
      415,
      { detail: expect.stringContaining('SVG') },
    ],
    [
      'PDF (unsupported)',
      () => multipart({ image: new Blob([pdf]) }),
      '/v1/models/ocr/predict',
      415,
      { detail: expect.stringContaining('PDF') },
    ],
    [
      'wrong Content-Type',
      () => ({ method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' }),
      '/v1/models/ocr/predict',
      415,
      { error: 'unsupported_media_type' },
    ],
    [
      'multipart without image',
      () => multipart({ file: new Blob([png]) }),
      '/v1/models/ocr/predict',
      422,
      { field: 'image' },
    ],
    [
      'multipart image as text',
      () => multipart({ image: 'hello' }),
      '/v1/models/ocr/predict',
      422,
      { field: 'image' },
    ],
    [
      'unknown model (legacy)',
      () => json({ model: 'yolo', image: png.toString('base64') }),
      '/predict',
      404,
      { error: 'model_not_found', detail: expect.stringContaining('available: ocr') },
    ],
    [
      'unknown model (v1)',
      () => raw(png),
      '/v1/models/yolo/predict',
      404,
      { detail: expect.stringContaining('ocr') },
    ],
    [
      'confidence query out of range',
      () => raw(png),
      '/v1/models/ocr/predict?confidence=2',
      422,
      { field: 'confidence' },
    ],
    // Number() reads these as 1 (hex, binary, octal) or Infinity: only decimal text is a number here.
    ...['0x1', '0b1', '0o1', 'Infinity', '0.5abc', '', '1,5'].map(
      (q): Row => [
        `confidence query "${q}" (not a decimal number)`,
        () => raw(png),
        `/v1/models/ocr/predict?confidence=${encodeURIComponent(q)}`,
        422,
        { field: 'confidence', detail: 'confidence: must be a number from 0 to 1' },
      ],
    ),
    [
      'body over the limit (JSON)',
      () => json({ model: 'ocr', image: Buffer.alloc(3 * 1024 * 1024).toString('base64') }),
      '/predict',
      413,
      { error: 'payload_too_large' },
    ],
    [
      'body over the limit (raw)',
      () => raw(Buffer.alloc(3 * 1024 * 1024)),
      '/v1/models/ocr/predict',
      413,
      { error: 'payload_too_large' },
    ],
    [
      'pixels over the limit (header checked before decoding)',
      async () => raw(await jpegClaiming(30_000, 30_000), 'image/jpeg'),
      '/v1/models/ocr/predict',
      413,
      { error: 'image_too_large', detail: expect.stringContaining('30000×30000') },
    ],
    ['unknown route', () => ({ method: 'GET' }), '/nope', 404, { error: 'not_found' }],
  ];

  it.each(rows)('%s', async (_name, init, path, status, body) => {
    const res = await request(path, await init());
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({
      error: expect.any(String),
      detail: expect.any(String),
      ...body,
    });
    await expectHealthy();
  });

  it('still predicts correctly after all of the above', async () => {
    const res = await request('/v1/models/ocr/predict', raw(png));
    expect(res.status).toBe(200);
    expect(texts(await res.json())).toEqual([expected]);
  });
});

describe('through a real listening server', () => {
  let server: Listening;
  beforeAll(async () => {
    await rt.pool.ready;
    server = await listen(rt);
  });
  afterAll(() => server?.close());

  it('serves the contract over HTTP (multipart and raw)', async () => {
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', models: ['ocr'] });
    const form = new FormData();
    form.append('image', new Blob([png], { type: 'image/png' }), 'line.png');
    const res = await fetch(`${server.url}/v1/models/ocr/predict`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(texts(await res.json())).toEqual([expected]);
    const res2 = await fetch(`${server.url}/predict`, json({ model: 'ocr', image: png.toString('base64') }));
    expect(texts(await res2.json())).toEqual([expected]);
  });

  it('two `image` parts in one upload: 422 naming field image and saying one image per request', async () => {
    const form = () => {
      const f = new FormData();
      for (const name of ['a.png', 'b.png']) f.append('image', new Blob([png], { type: 'image/png' }), name);
      return f;
    };
    for (const res of [
      await fetch(`${server.url}/v1/models/ocr/predict`, { method: 'POST', body: form() }),
      await request('/v1/models/ocr/predict', { method: 'POST', body: form() }),
    ]) {
      expect(res.status).toBe(422);
      const body = (await res.json()) as { error: string; field: string; detail: string };
      expect(body).toMatchObject({ error: 'validation_error', field: 'image' });
      expect(body.detail).toContain('one image per request');
      expect(body.detail).toContain("2 'image' parts");
      expect(body.detail).not.toContain('expected a file upload');
    }
  });

  it('answers /health while predictions keep every worker busy', async () => {
    let pending = 4;
    const predictions = Array.from({ length: pending }, () =>
      fetch(`${server.url}/v1/models/ocr/predict`, raw(png)).then(async (res) => {
        pending -= 1;
        return res;
      }),
    );
    // Each /health answer is recorded with how many predictions were still running when it came back.
    const stillRunning: number[] = [];
    while (pending > 0) {
      const res = await fetch(`${server.url}/health`);
      expect(res.status).toBe(200);
      stillRunning.push(pending);
    }
    const results = await Promise.all(predictions);
    expect(results.map((r) => r.status)).toEqual(Array(4).fill(200));
    for (const res of results) expect(texts(await res.json())).toEqual([expected]);
    // Several health checks completed while all four predictions were still queued or running.
    expect(stillRunning.filter((n) => n === 4).length).toBeGreaterThan(1);
  });

  it('GET /metrics: request counts and latency per route/model/status, stage histograms, queue, workers', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      /modelship_http_requests_total\{method="POST",route="\/v1\/models\/:name\/predict",status="200",model="ocr"\} \d+/,
    );
    expect(text).toMatch(
      /modelship_http_requests_total\{method="POST",route="\/predict",status="400",model="ocr"\} \d+/,
    );
    expect(text).toMatch(
      /modelship_http_request_duration_seconds_bucket\{le="0.5",method="POST",route="\/predict"/,
    );
    for (const stage of ['decode', 'preprocess', 'detection', 'recognition', 'postprocess']) {
      expect(text).toMatch(
        new RegExp(
          `modelship_inference_stage_duration_seconds_count\\{model="ocr",stage="${stage}"\\} [1-9]`,
        ),
      );
    }
    expect(text).toMatch(/^modelship_queue_depth 0$/m);
    expect(text).toMatch(/^modelship_inflight_requests 0$/m);
    expect(text).toMatch(/^modelship_workers 2$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it.runIf(process.platform === 'linux')(
    'GET /metrics: CPU seconds by thread group, a prediction counted in the inference workers',
    async () => {
      expect(rt.pool.inferenceThreadIds.size).toBe(2);
      const cpu = async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        const group = (thread: string) =>
          Number(
            new RegExp(`^modelship_thread_cpu_seconds_total\\{thread="${thread}"\\} (\\S+)$`, 'm').exec(
              text,
            )?.[1],
          );
        return { main: group('main'), inference: group('inference'), other: group('other') };
      };
      const before = await cpu();
      expect(before.main).toBeGreaterThan(0);
      const res = await fetch(`${server.url}/v1/models/ocr/predict`, raw(png));
      expect(res.status).toBe(200);
      const after = await cpu();
      // /proc counts in 10 ms ticks: an OCR prediction (detection and recognition networks) takes several.
      expect(after.inference - before.inference).toBeGreaterThanOrEqual(0.01);
      expect(after.main).toBeGreaterThanOrEqual(before.main);
      expect(after.other).toBeGreaterThanOrEqual(before.other);
    },
  );

  it('GET /openapi.json: an OpenAPI 3.1 document of every route, with resolvable $refs', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      openapi: string;
      info: { version: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe(version);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/health',
        '/ready',
        '/models',
        '/predict',
        '/v1/models',
        '/v1/models/{name}',
        '/v1/models/{name}/predict',
        '/metrics',
      ]),
    );
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(op.responses, `${method} ${path}`).toHaveProperty('200');
      }
    }
    const v1 = doc.paths['/v1/models/{name}/predict']?.post as {
      requestBody: { content: Record<string, unknown> };
    };
    expect(Object.keys(v1.requestBody.content)).toEqual(['multipart/form-data', 'image/*']);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref ?? '');
  });

  it('tells a raw-body curl without Content-Type how to send the image', async () => {
    // `curl --data-binary @photo.png` without -H sends application/x-www-form-urlencoded.
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    for (const type of ['application/x-www-form-urlencoded']) {
      const res = await request('/v1/models/ocr/predict', {
        method: 'POST',
        headers: { 'Content-Type': type },
        body: png,
      });
      const body = (await res.json()) as { detail: string };
      expect([415, 422], type).toContain(res.status);
      expect(body.detail, type).toContain("-H 'Content-Type: image/png'");
      expect(body.detail, type).toContain('-F image=@');
    }
  });

  it('documents each error status with its own examples, which are the bodies the API really sends', async () => {
    type Examples = Record<string, { value: { error: string; detail: string; field?: string } }>;
    type Op = { responses: Record<string, { content?: Record<string, { examples?: Examples }> }> };
    const doc = (await (await request('/openapi.json')).json()) as { paths: Record<string, { post: Op }> };
    const responses = doc.paths['/v1/models/{name}/predict']?.post.responses ?? {};
    const examples = (status: string) =>
      Object.values(responses[status]?.content?.['application/json']?.examples ?? {}).map((e) => e.value);
    const codes = Object.fromEntries(
      ['400', '404', '413', '415', '422', '503'].map((s) => [s, examples(s).map((e) => e.error)]),
    );
    expect(codes).toEqual({
      '400': ['invalid_image', 'invalid_json'],
      '404': ['model_not_found'],
      '413': ['payload_too_large', 'image_too_large'],
      '415': ['unsupported_media_type'],
      '422': ['validation_error'],
      '503': ['not_ready', 'queue_full', 'model_failed'],
    });
    // The examples are real answers, word for word.
    const gif = new Uint8Array([...Buffer.from('GIF89a'), 1, 0, 1, 0, 0, 0, 0]);
    const sent = [
      ['415', await request('/v1/models/ocr/predict', multipart({ image: new Blob([gif]) }))],
      ['404', await request('/v1/models/yolo/predict', multipart({ image: new Blob([gif]) }))],
      ['422', await request('/v1/models/ocr/predict?confidence=2', multipart({ image: new Blob([gif]) }))],
    ] as const;
    for (const [status, res] of sent) {
      expect(String(res.status)).toBe(status);
      const body = (await res.json()) as Record<string, unknown>;
      expect(examples(status)[0], status).toEqual(status === '404' ? { ...body, field: undefined } : body);
    }
  });

  it('GET /docs: Swagger UI from the local package, no CDN', async () => {
    const res = await fetch(`${server.url}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets).toEqual(
      expect.arrayContaining(['docs/swagger-ui-bundle.js', 'docs/init.js', 'docs/swagger-ui.css']),
    );
    for (const asset of assets) {
      const r = await fetch(new URL(asset, `${server.url}/docs`));
      expect(r.status, asset).toBe(200);
      expect((await r.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
    expect(await (await fetch(`${server.url}/docs/init.js`)).text()).toContain("'openapi.json'");
  });

  it('logs one JSON line per request, without image data', async () => {
    const before = rt.logLines.length;
    await fetch(`${server.url}/predict`, json({ model: 'ocr', image: png.toString('base64') }));
    await fetch(`${server.url}/v1/models/nope`);
    const lines = rt.logLines.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({
        severity: 'INFO',
        httpRequest: expect.objectContaining({
          requestMethod: 'POST',
          requestUrl: '/predict',
          status: 200,
          latency: expect.stringMatching(/^\d+\.\d{3}s$/),
        }),
        model: 'ocr',
      }),
      expect.objectContaining({
        httpRequest: expect.objectContaining({
          requestMethod: 'GET',
          requestUrl: '/v1/models/nope',
          status: 404,
        }),
      }),
    ]);
    const base64 = png.toString('base64');
    for (const line of rt.logLines) expect(line).not.toContain(base64.slice(100, 160));
  });
});

// Bodies an image route can't use are refused before they are parsed: a urlencoded form of millions of fields
// took 11 s to parse (and froze /health) only to get a 422; a multipart body of 100k parts froze it 1.3 s.
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HOW_TO_SEND_IMAGE } from '../src/errors.js';
import { MAX_MULTIPART_PARTS } from '../src/routes/image-upload.js';
import { startRuntime, type TestRuntime } from './helpers/api-runtime.js';

let rt: TestRuntime;
type ErrorJson = { error: string; detail: string; field?: string };

beforeAll(async () => {
  rt = await startRuntime({ WORKERS: '1' });
  await rt.pool.ready;
});
afterAll(async () => {
  await rt?.pool.close();
});

/** A body that sends `head` and then never ends: a route answers such a request only if it never reads it. */
const neverEnding = (head: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(head));
    },
  });

const png = () =>
  sharp({ create: { width: 16, height: 16, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();

const multipartBody = (boundary: string, fields: number, image?: Buffer) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < fields; i++) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n1\r\n`));
  }
  if (image) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n` +
          'Content-Type: image/png\r\n\r\n',
      ),
      image,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
};

it('a urlencoded body gets a 415 naming its Content-Type and how to send an image, without being read', async () => {
  const res = await rt.app.request('/v1/models/ocr/predict', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: neverEnding('a=1&'.repeat(100_000)),
    duplex: 'half',
  } as RequestInit);
  const body = (await res.json()) as ErrorJson;
  expect(res.status, JSON.stringify(body)).toBe(415);
  expect(body).toMatchObject({ error: 'unsupported_media_type', field: 'content-type' });
  expect(body.detail).toContain('application/x-www-form-urlencoded');
  expect(body.detail).toContain(HOW_TO_SEND_IMAGE);
});

it('the tester’s 10 MB form of 2.5M fields: the same 415, and /health answers', async () => {
  const res = await rt.app.request('/v1/models/ocr/predict', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'a=1&'.repeat(2_500_000),
  });
  expect(res.status).toBe(415);
  expect((await rt.app.request('/health')).status).toBe(200);
});

it(`a multipart body of more than ${MAX_MULTIPART_PARTS} parts: 413 naming the image field, not parsed`, async () => {
  const boundary = 'b0undary';
  for (const fields of [MAX_MULTIPART_PARTS, 100_000]) {
    const res = await rt.app.request('/v1/models/ocr/predict', {
      method: 'POST',
      headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body: multipartBody(boundary, fields, await png()),
    });
    const body = (await res.json()) as ErrorJson;
    expect(res.status, JSON.stringify(body)).toBe(413);
    expect(body).toMatchObject({ error: 'payload_too_large', field: 'image' });
    expect(body.detail).toContain(`more than ${MAX_MULTIPART_PARTS} parts`);
  }
  expect((await rt.app.request('/health')).status).toBe(200);
});

it(`an image with ${MAX_MULTIPART_PARTS - 1} other fields (a quoted boundary) is predicted as usual`, async () => {
  const boundary = 'quoted-b1';
  const res = await rt.app.request('/v1/models/ocr/predict', {
    method: 'POST',
    headers: { 'Content-Type': `multipart/form-data; boundary="${boundary}"` },
    body: multipartBody(boundary, MAX_MULTIPART_PARTS - 1, await png()),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await res.json()).toHaveProperty('model', 'ocr');
});

// The bounded queue in front of the worker pool: one worker, one queue slot, a burst of requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textFixture } from '../../../test/fixtures/text-images.js';
import { ApiError } from '../src/errors.js';
import { expectLines, startRuntime, type TestRuntime, texts } from './helpers/api-runtime.js';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startRuntime({ WORKERS: '1', QUEUE_SIZE: '1' });
  await rt.pool.ready;
});
afterAll(() => rt?.pool.close());

describe('worker pool', () => {
  it('answers 503 queue_full with Retry-After beyond workers + queue, serves the rest, and recovers', async () => {
    const paragraph = await textFixture('paragraph');
    const send = () =>
      rt.app.request('/v1/models/ocr/predict', {
        method: 'POST',
        headers: { 'Content-Type': 'image/png' },
        body: paragraph.png,
      });
    const responses = await Promise.all(Array.from({ length: 6 }, send));
    const statuses = responses.map((r) => r.status).sort();
    // One request runs, one waits in the queue; the other four are refused at once.
    expect(statuses).toEqual([200, 200, 503, 503, 503, 503]);
    for (const res of responses) {
      if (res.status === 503) {
        expect(res.headers.get('retry-after')).toBe('1');
        expect(await res.json()).toMatchObject({
          error: 'queue_full',
          detail: expect.stringContaining('busy'),
        });
      } else {
        expectLines(await res.json(), paragraph.lines);
      }
    }
    expect(rt.pool.inFlight).toBe(0);
    const metrics = await (await rt.app.request('/metrics')).text();
    expect(metrics).toMatch(
      /modelship_http_requests_total\{[^}]*route="\/v1\/models\/:name\/predict",status="503"[^}]*\} 4/,
    );
    expect((await rt.app.request('/health')).status).toBe(200);
    expect((await send()).status).toBe(200);
  });

  it('serves model metadata from the workers', () => {
    expect(rt.pool.models).toEqual([expect.objectContaining({ name: 'ocr', task: 'ocr', provider: 'cpu' })]);
  });

  it('runs raw tensors only for models that accept them', async () => {
    const error = await rt.pool
      .infer('ocr', { x: { type: 'float32', dims: [1], data: [0] } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, detail: 'model "ocr" does not accept raw tensors' });
  });

  it("a caller's abort rejects at once with the signal's reason; the slot is held until the worker lets go", async () => {
    const paragraph = await textFixture('paragraph');
    const controller = new AbortController();
    const gone = new Error('the client closed the connection');
    // A copy each: the pool moves (detaches) the bytes it is given.
    const running = rt.pool.predict('ocr', new Uint8Array(paragraph.png), {}, { signal: controller.signal });
    const late = new Error('aborted before it was sent');
    const refused = rt.pool.predict(
      'ocr',
      new Uint8Array(paragraph.png),
      {},
      { signal: AbortSignal.abort(late) },
    );
    controller.abort(gone);
    await expect(running).rejects.toBe(gone);
    await expect(refused).rejects.toBe(late);
    // Both were admitted; the worker finishes or drops them, then the slots are free again.
    for (let i = 0; i < 600 && rt.pool.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(rt.pool.inFlight).toBe(0);
    const result = await rt.pool.predict('ocr', new Uint8Array(paragraph.png), {});
    expect(result.detections.length).toBeGreaterThan(0);
  });

  it('reports an unknown model from the worker as 404', async () => {
    const error = await rt.pool.predict('nope', new Uint8Array([1, 2, 3]), {}).catch((e) => e);
    expect(error).toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('after drain() (SIGTERM): /ready answers 503 but requests still arriving are served', async () => {
    rt.deps.plane.drain();
    expect((await rt.app.request('/ready')).status).toBe(503);
    expect(await (await rt.app.request('/health')).json()).toMatchObject({ status: 'ok', ready: false });
    const res = await rt.app.request('/v1/models/ocr/predict', {
      method: 'POST',
      headers: { 'Content-Type': 'image/png' },
      body: (await textFixture('word')).png,
    });
    expect(res.status).toBe(200);
    expect(texts(await res.json())).toEqual(['Hello']);
  });
});

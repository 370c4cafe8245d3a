// A user model whose files are missing or broken does not take the server down: the other models serve,
// /v1/models shows the failed one with its reason in plain words (the file, what to check), and the server
// logs it once. Real worker pool, real onnxruntime, on tiny models built in the test.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listedModels, startRuntime, type TestRuntime } from './helpers/api-runtime.js';
import { DETECT_LABELS, tempModelsDir, writeModel, yoloModel } from './helpers/user-models.js';

let rt: TestRuntime;
let modelsDir: string;
let photo: Buffer;

beforeAll(async () => {
  modelsDir = await tempModelsDir();
  await writeModel(modelsDir, { name: 'yolo', task: 'detect', labels: DETECT_LABELS }, yoloModel('yolov8'));
  // an export that did not finish, a file that is not ONNX, and a model file that is not there
  await writeModel(modelsDir, { name: 'empty', task: 'detect', labels: DETECT_LABELS }, new Uint8Array());
  await writeModel(
    modelsDir,
    { name: 'garbage', task: 'classify' },
    new TextEncoder().encode('PK\u0003\u0004 not onnx'),
  );
  const missing = await writeModel(modelsDir, { name: 'missing', task: 'detect' }, new Uint8Array());
  await rm(join(missing, 'model.onnx'));
  await writeFile(
    join(missing, 'model.json'),
    JSON.stringify({ name: 'missing', task: 'detect', model: 'best.onnx' }),
  );
  photo = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#888' } })
    .png()
    .toBuffer();
  rt = await startRuntime({ MODELS_DIR: modelsDir, WORKERS: '2' });
  await rt.pool.ready;
}, 120_000);

afterAll(async () => {
  await rt?.pool.close();
  await rm(modelsDir, { recursive: true, force: true });
});

const request = (path: string, init?: RequestInit) => rt.app.request(path, init);
const predict = (model: string) =>
  request(`/v1/models/${model}/predict`, {
    method: 'POST',
    headers: { 'Content-Type': 'image/png' },
    body: photo,
  });

describe('a model that fails to load', () => {
  it('leaves the server ready, and the other models serving; /health names the failed ones', async () => {
    expect((await request('/ready')).status).toBe(200);
    expect(await (await request('/health')).json()).toMatchObject({
      ready: true,
      models: ['empty', 'garbage', 'missing', 'yolo'],
      failed: ['empty', 'garbage', 'missing'],
    });
    const res = await predict('yolo');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: string }).model).toBe('yolo');
  });

  it('is listed in /v1/models with its reason in plain words, naming the file and what to check', async () => {
    const list = await listedModels(rt);
    const byName = Object.fromEntries(list.map((m) => [m.name, m]));
    // Every entry says its state, so a client looping over the list can skip the failed ones.
    expect(list.map((m) => [m.name, m.status])).toEqual([
      ['yolo', 'ready'],
      ['empty', 'failed'],
      ['garbage', 'failed'],
      ['missing', 'failed'],
    ]);
    expect(byName.empty).toMatchObject({ status: 'failed', task: 'detect' });
    expect(byName.empty?.reason).toMatch(
      /empty\/model\.onnx is empty \(0 bytes\).*[Ee]xport the model again/,
    );
    expect(byName.garbage?.reason).toMatch(/garbage\/model\.onnx \(\d+ bytes\) is not an ONNX model/);
    expect(byName.garbage?.reason).toMatch(/not the \.pt weights/);
    expect(byName.missing?.reason).toMatch(
      /missing\/best\.onnx does not exist\. Check the file name in model\.json/,
    );
    for (const m of list) expect(m.reason ?? '').not.toMatch(/onnxruntime_src|ModelProto|Protobuf/);
  });

  it('is left out of the legacy /models, which names exactly the models /v1/models says are ready', async () => {
    const res = await request('/models');
    expect(res.status).toBe(200);
    const names = await res.json();
    expect(names).toEqual(['yolo']);
    const ready = (await listedModels(rt)).filter((m) => m.status === 'ready').map((m) => m.name);
    expect(names).toEqual(ready);
    // each name it gives serves
    for (const name of names as string[]) expect((await predict(name)).status).toBe(200);
  });

  it('answers its own requests with 503 model_failed and the reason, not "unknown model"', async () => {
    const res = await predict('empty');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: string; detail: string };
    expect(body.error).toBe('model_failed');
    expect(body.detail).toMatch(/model "empty" failed to load: .*is empty/);
    const meta = await request('/v1/models/missing');
    expect(meta.status).toBe(503);
    expect(((await meta.json()) as { field: string }).field).toBe('name');
  });

  it('is not ready on the v2 protocol (400, ready: false), and its v2 requests are 503 with the reason', async () => {
    for (const path of ['/v2/models/empty/ready', '/v2/models/empty/versions/1/ready']) {
      const ready = await request(path);
      expect(ready.status, path).toBe(400);
      expect(await ready.json()).toEqual({ name: 'empty', ready: false });
    }
    expect((await request('/v2/models/yolo/ready')).status).toBe(200);
    const meta = await request('/v2/models/missing');
    expect(meta.status).toBe(503);
    expect(((await meta.json()) as { error: string }).error).toMatch(
      /model "missing" failed to load: .*does not exist/,
    );
    const infer = await request('/v2/models/empty/infer', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [photo.toString('base64')] }],
      }),
    });
    expect(infer.status).toBe(503);
    expect(((await infer.json()) as { error: string }).error).toMatch(/model "empty" failed to load/);
  });

  it('is logged once, although every worker met it', () => {
    const failures = rt.logLines.filter((l) => l.includes('failed to load'));
    expect(failures.map((l) => (JSON.parse(l) as { model: string }).model).sort()).toEqual([
      'empty',
      'garbage',
      'missing',
    ]);
  });
});

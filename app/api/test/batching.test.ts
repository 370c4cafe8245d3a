// Dynamic batching of detect and classify on real onnxruntime sessions: a batch gives exactly what the same
// images give one at a time, whatever their sizes; the manifest switch and its defaults; and the whole
// path through the API, where concurrent requests are stacked into one run.
import { rm } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyTask } from '../src/tasks/classify/index.js';
import { detectTask } from '../src/tasks/detect/index.js';
import { batchPolicy } from '../src/tasks/onnx-image-model.js';
import type { PredictResult, RgbImage } from '../src/tasks/types.js';
import { startRuntime, type TestRuntime } from './helpers/api-runtime.js';
import { inputScaledOutputModel } from './helpers/onnx-builder.js';
import { taskSessions } from './helpers/task-sessions.js';
import {
  CLASSIFY_LABELS,
  colourClassifierModel,
  DETECT_INPUT,
  DETECT_LABELS,
  halves,
  isRedModel,
  solidImage,
  tempModelsDir,
  writeModel,
  yolov8Tensor,
} from './helpers/user-models.js';

/** A YOLOv8-layout detector whose boxes and scores scale with each image's mean pixel value. */
const scaledYolo = () => inputScaledOutputModel({ inputSize: DETECT_INPUT, output: yolov8Tensor() });

/** Images of different sizes, shapes and colours, so each letterboxes and scores differently. */
function mixedImages(): RgbImage[] {
  return [
    solidImage(200, 100, [230, 230, 230]),
    solidImage(90, 160, [10, 200, 60]),
    solidImage(64, 64, [255, 255, 255]),
    solidImage(333, 41, [120, 30, 250]),
  ];
}

const withoutTimings = (results: PredictResult[]) => results.map(({ timings: _, ...rest }) => rest);

/** The results of a batch every image of which was answered. */
function answered<R>(outcomes: PromiseSettledResult<R>[] | undefined): R[] {
  expect(outcomes).toBeDefined();
  return (outcomes ?? []).map((o) => {
    if (o.status === 'rejected') throw o.reason;
    return o.value;
  });
}

describe('a batch gives what each image gives alone', () => {
  const sessions = taskSessions();
  const on = { enabled: true, maxBatchSize: 8, maxBatchDelayMs: 1 };

  it('detect: boxes, scores and per-image letterboxing, over mixed sizes and per-request options', async () => {
    await writeModel(sessions.dir, { name: 'scaled' }, scaledYolo());
    const predictor = await sessions.load(
      detectTask,
      detectTask.manifestSchema.parse({
        name: 'scaled',
        task: 'detect',
        model: 'model.onnx',
        labels: DETECT_LABELS,
        confidence: 0.1,
        batching: on,
      }),
    );
    expect(predictor.info.batching).toEqual({ maxBatchSize: 8, maxBatchDelayMs: 1 });
    const images = mixedImages();
    const options = [{}, { confidence: 0.3 }, { iou: 0.99 }, {}];
    const alone = await Promise.all(images.map((image, i) => predictor.predict(image, options[i] ?? {})));
    const batched = answered(await predictor.predictBatch?.(images, options));
    expect(withoutTimings(batched)).toEqual(withoutTimings(alone));
    // The items really differ, so a mix-up between them would show.
    const firstScores = alone.map((r) => r.detections[0]?.confidence);
    expect(new Set(firstScores).size).toBe(images.length);
    expect(alone[0]?.detections[0]).toMatchObject({ x_max: expect.any(Number) });
    expect(Math.max(...(alone[3]?.detections.map((d) => d.x_max) ?? []))).toBeLessThanOrEqual(333);
  });

  it('classify: probabilities of each image, resized and cropped from its own size', async () => {
    await writeModel(sessions.dir, { name: 'colours' }, colourClassifierModel());
    const predictor = await sessions.load(
      classifyTask,
      classifyTask.manifestSchema.parse({
        name: 'colours',
        task: 'classify',
        model: 'model.onnx',
        labels: CLASSIFY_LABELS,
        topK: 3,
        batching: on,
      }),
    );
    const images = mixedImages();
    const alone = await Promise.all(images.map((image) => predictor.predict(image, {})));
    const batched = answered(
      await predictor.predictBatch?.(
        images,
        images.map(() => ({})),
      ),
    );
    expect(withoutTimings(batched)).toEqual(withoutTimings(alone));
    // ImageNet normalisation puts greys and white on the blue side.
    expect(alone.map((r) => r.classes?.[0]?.class_name)).toEqual(['blue', 'green', 'blue', 'blue']);
    expect(new Set(alone.map((r) => r.classes?.[0]?.confidence)).size).toBe(images.length);
  });
});

describe('one bad output in a batch', () => {
  const sessions = taskSessions();

  it('rejects only its own image: the others are answered as they would be alone', async () => {
    // "probabilities" but 0.5 + 6 for pure red and 0.5 - 6 for pure blue; 0.5 for any grey
    await writeModel(sessions.dir, { name: 'half-probs' }, isRedModel(0.5));
    const predictor = await sessions.load(
      classifyTask,
      classifyTask.manifestSchema.parse({
        name: 'half-probs',
        task: 'classify',
        model: 'model.onnx',
        output: 'probabilities',
        normalization: halves,
        batching: { enabled: true, maxBatchSize: 8, maxBatchDelayMs: 1 },
      }),
    );
    const grey = solidImage(20, 10, [128, 128, 128]);
    const red = solidImage(8, 8, [255, 0, 0]);
    const white = solidImage(9, 30, [255, 255, 255]);
    const blue = solidImage(8, 8, [0, 0, 255]);
    const images = [grey, red, white, blue];
    const outcomes = (await predictor.predictBatch?.(
      images,
      images.map(() => ({})),
    )) as PromiseSettledResult<PredictResult>[];
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect(outcomes[1]).toMatchObject({
      reason: expect.objectContaining({ message: expect.stringMatching(/gave 6\.5 /) }),
    });
    expect(outcomes[3]).toMatchObject({
      reason: expect.objectContaining({ message: expect.stringMatching(/gave -5\.5 /) }),
    });
    for (const i of [0, 2]) {
      const alone = await predictor.predict(images[i] as RgbImage, {});
      const batched = outcomes[i] as PromiseFulfilledResult<PredictResult>;
      expect(withoutTimings([batched.value])).toEqual(withoutTimings([alone]));
    }
    await expect(predictor.predict(red, {})).rejects.toThrow(/gave 6\.5 /);
  });
});

describe('the batching switch', () => {
  const input = (batch: number) => ({ name: 'images', datatype: 'FP32', shape: [batch, 3, 64, 64] });
  const unset = { maxBatchSize: 8, maxBatchDelayMs: 2 };

  it('is off by default on the CPU, on by default with CUDA when the batch dimension is dynamic', () => {
    expect(batchPolicy(unset, input(-1), 'cpu')).toBeUndefined();
    expect(batchPolicy(unset, input(-1), 'cuda')).toEqual(unset);
    expect(batchPolicy(unset, input(1), 'cuda')).toBeUndefined();
    expect(batchPolicy({ ...unset, enabled: true }, input(-1), 'cpu')).toEqual(unset);
    expect(batchPolicy({ ...unset, enabled: false }, input(-1), 'cuda')).toBeUndefined();
  });

  it('refuses to batch a model exported with a fixed batch of 1', () => {
    expect(() => batchPolicy({ ...unset, enabled: true }, input(1), 'cpu')).toThrow(
      /dynamic batch dimension.*\[1,3,64,64\].*dynamic=True/,
    );
  });

  it('validates the manifest fields and fills the defaults', () => {
    const parse = (batching: unknown) =>
      detectTask.manifestSchema.safeParse({ name: 'y', task: 'detect', model: 'm.onnx', batching });
    expect(parse(undefined).data?.batching).toEqual({ maxBatchSize: 8, maxBatchDelayMs: 2 });
    expect(parse({ enabled: true }).data?.batching).toEqual({
      enabled: true,
      maxBatchSize: 8,
      maxBatchDelayMs: 2,
    });
    expect(parse({ maxBatchSize: 0 }).error?.issues[0]?.path).toEqual(['batching', 'maxBatchSize']);
    expect(parse({ maxBatchDelayMs: -1 }).error?.issues[0]?.path).toEqual(['batching', 'maxBatchDelayMs']);
    expect(parse({ size: 4 }).success).toBe(false);
  });
});

describe('through the API', () => {
  let rt: TestRuntime;
  let modelsDir: string;
  const encoded: Buffer[] = [];

  beforeAll(async () => {
    modelsDir = await tempModelsDir();
    const manifest = { task: 'detect', labels: DETECT_LABELS, confidence: 0.1 };
    // The same network twice: one batched (a generous delay, so the concurrent requests meet), one not.
    await writeModel(
      modelsDir,
      { name: 'batched', ...manifest, batching: { enabled: true, maxBatchSize: 4, maxBatchDelayMs: 200 } },
      scaledYolo(),
    );
    await writeModel(modelsDir, { name: 'alone', ...manifest }, scaledYolo());
    // A batched classifier whose "probabilities" are 0.5 for grey (the warm-up passes) and 6.5 for red.
    await writeModel(
      modelsDir,
      {
        name: 'half-probs',
        task: 'classify',
        output: 'probabilities',
        normalization: halves,
        batching: { enabled: true, maxBatchSize: 4, maxBatchDelayMs: 200 },
      },
      isRedModel(0.5),
    );
    for (const image of mixedImages()) {
      const raw = { raw: { width: image.width, height: image.height, channels: 3 as const } };
      encoded.push(await sharp(image.data, raw).png().toBuffer());
    }
    rt = await startRuntime({ MODELS_DIR: modelsDir, WORKERS: '1' });
    await rt.pool.ready;
  });

  afterAll(async () => {
    await rt?.pool.close();
    await rm(modelsDir, { recursive: true, force: true });
  });

  const post = (model: string, body: Uint8Array) =>
    rt.app.request(`/v1/models/${model}/predict`, {
      method: 'POST',
      headers: { 'Content-Type': body[0] === 0xff ? 'image/jpeg' : 'image/png' },
      body,
    });

  it('stacks concurrent requests into one run, with the answers of unbatched requests', async () => {
    const batched = await Promise.all(encoded.map((png) => post('batched', new Uint8Array(png))));
    const alone = [];
    for (const png of encoded) alone.push(await post('alone', new Uint8Array(png)));
    const detections = async (res: Response) => {
      expect(res.status).toBe(200);
      return ((await res.json()) as { detections: unknown[] }).detections;
    };
    expect(await Promise.all(batched.map(detections))).toEqual(await Promise.all(alone.map(detections)));
    expect(rt.pool.batchStats('batched')).toEqual({ batches: 1, requests: 4, largest: 4 });
    expect(rt.pool.batchStats('alone')).toBeUndefined();
    const info = await (await rt.app.request('/v1/models/batched')).json();
    expect(info).toMatchObject({ batching: { maxBatchSize: 4, maxBatchDelayMs: 200 } });
  });

  it('fails only the request whose own output is bad, and answers the others of its batch', async () => {
    const solid = (rgb: string) =>
      sharp({ create: { width: 8, height: 8, channels: 3, background: rgb } })
        .png()
        .toBuffer();
    const colours = ['#808080', '#ff0000', '#ffffff', '#000000'];
    const responses = await Promise.all(
      (await Promise.all(colours.map(solid))).map((png) => post('half-probs', new Uint8Array(png))),
    );
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(
      responses.map((r) => r.status),
      JSON.stringify(bodies),
    ).toEqual([200, 500, 200, 200]);
    expect(bodies[1]).toMatchObject({
      error: 'internal_error',
      detail: expect.stringMatching(/"output": "probabilities" but the model gave 6\.5 for class 0/),
    });
    for (const i of [0, 2, 3]) {
      expect(bodies[i]).toMatchObject({ model: 'half-probs', classes: [{ class_id: 0, confidence: 0.5 }] });
    }
    // they really shared one run
    expect(rt.pool.batchStats('half-probs')).toEqual({ batches: 1, requests: 4, largest: 4 });
  });

  it('fails only the request whose image does not decode', async () => {
    // A JPEG cut short after its header: the main thread's header check passes, the worker's decode fails.
    const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const broken = new Uint8Array(jpeg.subarray(0, 400));
    const [good, bad] = await Promise.all([
      post('batched', new Uint8Array(encoded[0] as Buffer)),
      post('batched', broken),
    ]);
    expect(good.status).toBe(200);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_image' });
  });
});

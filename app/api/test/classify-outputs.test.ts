// Classifier outputs modelship can and cannot read, on real onnxruntime sessions: a binary classifier with one
// logit gets a sigmoid (softmax over one value answered 1 for every image), outputs that are no class list are
// refused at load with their shape, the label count is checked whenever the model states K, and scores that
// mean nothing (non-finite, or "probabilities" out of 0..1) are errors instead of confidence null or 478 %.
import { rm } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyTask } from '../src/tasks/classify/index.js';
import { classifyManifest } from '../src/tasks/classify/manifest.js';
import { listedModels, startRuntime, type TestRuntime } from './helpers/api-runtime.js';
import { buildOnnxModel, linearClassifierModel } from './helpers/onnx-builder.js';
import { taskSessions } from './helpers/task-sessions.js';
import { halves, isRedModel, solidImage, tempModelsDir, writeModel } from './helpers/user-models.js';

/** input [batch,3,8,8] → its mean over the spatial axes reshaped to `shape`: any output shape. */
const shapedOutputModel = (inputShape: (number | string)[], outputShape: (number | string)[]) =>
  buildOnnxModel({
    inputs: [{ name: 'input', shape: inputShape }],
    outputs: [{ name: 'o', shape: outputShape }],
    initializers: [
      {
        name: 'shape',
        dims: [outputShape.length],
        values: outputShape.map((d) => (typeof d === 'number' ? d : -1)),
        type: 'int64',
      },
    ],
    nodes: [
      { op: 'GlobalAveragePool', inputs: ['input'], outputs: ['p'] },
      { op: 'Reshape', inputs: ['p', 'shape'], outputs: ['o'] },
    ],
  });

describe('classify outputs on a real session', () => {
  const sessions = taskSessions();
  async function load(name: string, extra: Record<string, unknown>, onnx: Uint8Array) {
    await writeModel(sessions.dir, { name, task: 'classify' }, onnx);
    const manifest = classifyManifest.parse({ name, task: 'classify', model: 'model.onnx', ...extra });
    return sessions.load(classifyTask, manifest);
  }

  it('a one-logit binary classifier gets a sigmoid: red is likely, blue is not', async () => {
    const predictor = await load('is-red', { labels: ['is_red'], normalization: halves }, isRedModel());
    const red = await predictor.predict(solidImage(8, 8, [255, 0, 0]), {});
    const blue = await predictor.predict(solidImage(8, 8, [0, 0, 255]), {});
    const gray = await predictor.predict(solidImage(8, 8, [128, 128, 128]), {});
    // Red normalises to (1, ·, -1): logit 6; blue to (-1, ·, 1): logit -6.
    expect(red.classes).toEqual([{ class_id: 0, class_name: 'is_red', confidence: expect.any(Number) }]);
    expect(red.classes?.[0]?.confidence).toBeCloseTo(1 / (1 + Math.exp(-6)), 6);
    expect(blue.classes?.[0]?.confidence).toBeCloseTo(1 / (1 + Math.exp(6)), 6);
    expect(gray.classes?.[0]?.confidence).toBeCloseTo(0.5, 6);
    // The request's confidence threshold now separates them.
    expect((await predictor.predict(solidImage(8, 8, [0, 0, 255]), { confidence: 0.5 })).classes).toEqual([]);
  });

  it('a one-output model that already ends in a sigmoid is read as is with "output": "probabilities"', async () => {
    const sigmoidModel = buildOnnxModel({
      inputs: [{ name: 'input', shape: ['batch', 3, 8, 8] }],
      outputs: [{ name: 'p', shape: ['batch', 1] }],
      initializers: [
        { name: 'W', dims: [3, 1], values: [3, 0, -3] },
        { name: 'b', dims: [1], values: [0] },
      ],
      nodes: [
        { op: 'GlobalAveragePool', inputs: ['input'], outputs: ['pooled'] },
        { op: 'Flatten', inputs: ['pooled'], outputs: ['flat'], attrs: { axis: 1 } },
        { op: 'Gemm', inputs: ['flat', 'W', 'b'], outputs: ['logit'] },
        { op: 'Sigmoid', inputs: ['logit'], outputs: ['p'] },
      ],
    });
    const predictor = await load(
      'is-red-sigmoid',
      { labels: ['is_red'], normalization: halves, output: 'probabilities' },
      sigmoidModel,
    );
    const red = await predictor.predict(solidImage(8, 8, [255, 0, 0]), {});
    expect(red.classes?.[0]?.confidence).toBeCloseTo(1 / (1 + Math.exp(-6)), 6);
  });

  it('refuses at load an output that is no class list, naming its shape', async () => {
    await expect(load('spatial', {}, shapedOutputModel(['b', 3, 8, 8], ['b', 3, 2, 2]))).rejects.toThrow(
      /must be one score per class, \[batch, K\] or \[batch, K, 1, 1\]; output "o" has shape \[\?,3,2,2\]/,
    );
  });

  it('[batch, K, 1, 1] and a batch-less [K] are class lists; the label count is checked for both', async () => {
    const conv = await load(
      'conv-head',
      { labels: ['a', 'b', 'c'] },
      shapedOutputModel(['b', 3, 8, 8], ['b', 3, 1, 1]),
    );
    expect((await conv.predict(solidImage(8, 8, [0, 0, 255]), { topK: 1 })).classes?.[0]?.class_name).toBe(
      'c',
    );
    await expect(
      load('batchless', { labels: ['a', 'b', 'c', 'd'] }, shapedOutputModel([1, 3, 8, 8], [3])),
    ).rejects.toThrow(/predicts 3 classes but "labels" has 4 names/);
    const batchless = await load(
      'batchless-ok',
      { labels: ['a', 'b', 'c'] },
      shapedOutputModel([1, 3, 8, 8], [3]),
    );
    expect(
      (await batchless.predict(solidImage(8, 8, [255, 0, 0]), { topK: 1 })).classes?.[0]?.class_name,
    ).toBe('a');
  });

  it('a "resize" smaller than the model\'s fixed input is refused at load naming "resize"', async () => {
    const big = linearClassifierModel({
      inputSize: { width: 224, height: 224 },
      weights: [[1], [0], [0]],
      bias: [0],
    });
    await expect(load('small-resize', { resize: 100 }, big)).rejects.toThrow(
      /"resize" 100 is smaller than the model's input 224x224, so the centre crop would not fit: set "resize" to at least 224/,
    );
  });

  it('"probabilities" out of 0..1 and non-finite scores are errors naming the value and the fix', async () => {
    const raw = await load('raw-scores', { output: 'probabilities', normalization: halves }, isRedModel());
    await expect(raw.predict(solidImage(8, 8, [255, 0, 0]), {})).rejects.toThrow(
      /"output": "probabilities" but the model gave 6 for class 0: .*set "output": "logits"/,
    );
    const nan = linearClassifierModel({
      inputSize: { width: 8, height: 8 },
      weights: [
        [Number.NaN, 0],
        [0, 0],
        [0, 0],
      ],
      bias: [0, 0],
    });
    for (const output of ['logits', 'probabilities']) {
      const predictor = await load(`nan-${output}`, { output }, nan);
      await expect(predictor.predict(solidImage(8, 8, [9, 9, 9]), {})).rejects.toThrow(
        /non-finite score \(NaN\) for class 0/,
      );
    }
  });
});

describe('through the API', () => {
  let rt: TestRuntime;
  let modelsDir: string;
  beforeAll(async () => {
    modelsDir = await tempModelsDir();
    await writeModel(
      modelsDir,
      { name: 'is-red', task: 'classify', labels: ['is_red'], normalization: halves },
      isRedModel(),
    );
    // 0.5 on the gray warm-up image, so it loads; 6.5 on a red one.
    await writeModel(
      modelsDir,
      { name: 'not-probabilities', task: 'classify', output: 'probabilities', normalization: halves },
      isRedModel(0.5),
    );
    // NaN on every image: fails its warm-up, listed as failed with the reason.
    await writeModel(
      modelsDir,
      { name: 'nan', task: 'classify' },
      linearClassifierModel({
        inputSize: { width: 8, height: 8 },
        weights: [[Number.NaN], [0], [0]],
        bias: [0],
      }),
    );
    rt = await startRuntime({ MODELS_DIR: modelsDir, WORKERS: '1' });
    await rt.pool.ready;
  });
  afterAll(async () => {
    await rt?.pool.close();
    await rm(modelsDir, { recursive: true, force: true });
  });
  const predict = async (model: string, rgb: string) =>
    rt.app.request(`/v1/models/${model}/predict`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/png' },
      body: await sharp({ create: { width: 8, height: 8, channels: 3, background: rgb } })
        .png()
        .toBuffer(),
    });

  it('the binary classifier tells red from blue', async () => {
    const confidence = async (rgb: string) =>
      ((await (await predict('is-red', rgb)).json()) as { classes: { confidence: number }[] }).classes[0]
        ?.confidence;
    expect(await confidence('#ff0000')).toBeGreaterThan(0.99);
    expect(await confidence('#0000ff')).toBeLessThan(0.01);
  });

  it('a "probability" of 6.5 is a 500 naming the manifest setting, not a confidence of 650 %', async () => {
    const res = await predict('not-probabilities', '#ff0000');
    const body = (await res.json()) as { error: string; detail: string };
    expect(res.status, JSON.stringify(body)).toBe(500);
    expect(body.detail).toMatch(/"output": "probabilities" but the model gave 6\.5/);
  });

  it('a model giving NaN fails its warm-up and is listed as failed with the reason', async () => {
    const models = await listedModels(rt);
    expect(models.find((m) => m.name === 'nan')).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/non-finite score \(NaN\)/),
    });
  });
});

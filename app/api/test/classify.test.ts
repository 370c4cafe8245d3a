// The classify task: resize + centre-crop geometry and pixels, softmax and top-k, and a tiny classifier
// with known weights run by a real onnxruntime session.
import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { classifyTask } from '../src/tasks/classify/index.js';
import { classifyManifest } from '../src/tasks/classify/manifest.js';
import { resizeCropGeometry } from '../src/tasks/classify/preprocess.js';
import { softmax, topK } from '../src/tasks/classify/rank.js';
import { detectionColumns, namedDetections, setDetection } from '../src/tasks/detection-columns.js';
import { linearClassifierModel } from './helpers/onnx-builder.js';
import { taskSessions } from './helpers/task-sessions.js';
import { CLASSIFY_LABELS, colourClassifierModel, solidImage, writeModel } from './helpers/user-models.js';

describe('resize + centre crop', () => {
  it('resizes the shorter side, truncating the longer one, and centres the crop', () => {
    // 341.33 -> 341 wide; (341 - 224) / 2 = 58.5 rounds to the even 58, as torchvision does.
    expect(resizeCropGeometry(640, 480, 256, 224, 224)).toEqual({
      width: 341,
      height: 256,
      left: 58,
      top: 16,
    });
    expect(resizeCropGeometry(480, 640, 256, 224, 224)).toEqual({
      width: 256,
      height: 341,
      left: 16,
      top: 58,
    });
    expect(resizeCropGeometry(500, 500, 256, 224, 224)).toEqual({
      width: 256,
      height: 256,
      left: 16,
      top: 16,
    });
  });

  it('refuses a crop larger than the resized image', () => {
    expect(() => resizeCropGeometry(100, 100, 200, 224, 224)).toThrow(/smaller than the crop/);
  });
});

describe('softmax and top-k', () => {
  it('computes a stable softmax', () => {
    const p = softmax([1000, 1000 + Math.log(3)]);
    expect(p[0]).toBeCloseTo(0.25, 12);
    expect(p[1]).toBeCloseTo(0.75, 12);
  });

  it('ranks the k best at or above the threshold, ties by class id', () => {
    expect(topK([0.1, 0.4, 0.1, 0.4], 3, 0)).toEqual([1, 3, 0]);
    expect(topK([0.1, 0.4, 0.1, 0.4], 3, 0.2)).toEqual([1, 3]);
  });

  it('ranks like sorting every class, for any k, threshold and ties', () => {
    const reference = (p: ArrayLike<number>, k: number, min: number) =>
      Array.from({ length: p.length }, (_, i) => i)
        .filter((i) => (p[i] as number) >= min)
        .sort((a, b) => (p[b] as number) - (p[a] as number) || a - b)
        .slice(0, k);
    let state = 11;
    const random = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    for (const classes of [1, 7, 1000]) {
      // Coarse values, so many classes tie.
      const p = softmax(Array.from({ length: classes }, () => Math.round(random() * 40) / 4));
      for (const k of [1, 2, 5, 7, 999, 1000]) {
        for (const min of [0, 0.001, 0.05, 1]) {
          expect(topK(p, k, min)).toEqual(reference(p, k, min));
        }
      }
    }
    expect(topK(Float64Array.from([Number.NaN, 0.5]), 2, 0)).toEqual([1]);
  });
});

describe('detection columns', () => {
  it('are named with the labels on the main thread, class_<id> past their end; ranked rows are classes', () => {
    const columns = detectionColumns(2, true);
    setDetection(columns, 0, [0, 0, 40, 20], 1, 0.75);
    setDetection(columns, 1, [0, 0, 40, 20], 3, 0.25);
    const ranked = [
      { class_id: 1, class_name: 'green', confidence: 0.75 },
      { class_id: 3, class_name: 'class_3', confidence: 0.25 },
    ];
    expect(namedDetections({ detections: [], columns }, CLASSIFY_LABELS)).toEqual({
      detections: ranked.map((c) => ({ x_min: 0, y_min: 0, x_max: 40, y_max: 20, ...c })),
      classes: ranked,
    });
    // Key order is the contract's: box first, then the class (the JSON reads the same as before).
    const [first] = namedDetections(
      { detections: [], columns: { ...columns, ranked: false } },
      undefined,
    ).detections;
    expect(Object.keys(first ?? {})).toEqual([
      'x_min',
      'y_min',
      'x_max',
      'y_max',
      'class_id',
      'class_name',
      'confidence',
    ]);
    expect(first?.class_name).toBe('class_1');
  });
});

describe('classify manifest', () => {
  it('fills ImageNet defaults', () => {
    const m = classifyManifest.parse({ name: 'resnet', task: 'classify', model: 'resnet.onnx' });
    expect(m).toMatchObject({
      output: 'logits',
      topK: 5,
      confidence: 0,
      normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], scale: 1 / 255 },
    });
  });

  it('names the field at fault', () => {
    const bad = { name: 'r', task: 'classify', model: 'r.onnx', inputSize: [224, 224], resize: 200 };
    expect(classifyManifest.safeParse(bad).error?.issues.map((i) => i.path.join('.'))).toEqual(['resize']);
    const badOutput = { name: 'r', task: 'classify', model: 'r.onnx', output: 'softmax' };
    expect(classifyManifest.safeParse(badOutput).error?.issues.map((i) => i.path.join('.'))).toEqual([
      'output',
    ]);
  });
});

describe('classify task on a real onnxruntime session', () => {
  const sessions = taskSessions();
  const halves = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255 };

  async function load(name: string, extra: Record<string, unknown>, onnx = colourClassifierModel()) {
    await writeModel(sessions.dir, { name, task: 'classify' }, onnx);
    const manifest = classifyManifest.parse({ name, task: 'classify', model: 'model.onnx', ...extra });
    return sessions.load(classifyTask, manifest);
  }

  it('normalises with the manifest mean/std, applies softmax to logits and ranks the top k', async () => {
    const predictor = await load('colours', { labels: CLASSIFY_LABELS, normalization: halves, topK: 2 });
    // Pure red normalises to (1, -1, -1), so the logits are (2, -2, -2).
    const result = await predictor.predict(solidImage(40, 20, [255, 0, 0]), {});
    const denominator = Math.exp(2) + 2 * Math.exp(-2);
    expect(result.classes?.map((c) => [c.class_id, c.class_name])).toEqual([
      [0, 'red'],
      [1, 'green'],
    ]);
    expect(result.classes?.[0]?.confidence).toBeCloseTo(Math.exp(2) / denominator, 6);
    expect(result.classes?.[1]?.confidence).toBeCloseTo(Math.exp(-2) / denominator, 6);
    // Box-only clients see each class as a detection covering the whole image.
    expect(result.detections).toEqual(
      (result.classes ?? []).map((c) => ({ x_min: 0, y_min: 0, x_max: 40, y_max: 20, ...c })),
    );
  });

  it('takes top-k and confidence from the request', async () => {
    const predictor = await load('colours-request', { labels: CLASSIFY_LABELS, normalization: halves });
    const all = await predictor.predict(solidImage(8, 8, [0, 0, 255]), { topK: 10 });
    expect(all.classes?.map((c) => c.class_name)).toEqual(['blue', 'red', 'green']);
    const sure = await predictor.predict(solidImage(8, 8, [0, 0, 255]), { confidence: 0.5 });
    expect(sure.classes?.map((c) => c.class_name)).toEqual(['blue']);
  });

  it('uses ImageNet mean/std by default and names classes class_<id> without labels', async () => {
    const predictor = await load('colours-imagenet', {});
    const result = await predictor.predict(solidImage(9, 9, [0, 255, 0]), { topK: 3 });
    // Pure green normalises to ((0 - 0.485) / 0.229, (1 - 0.456) / 0.224, (0 - 0.406) / 0.225).
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const probabilities = softmax([0, 1, 0].map((v, c) => (2 * (v - (mean[c] ?? 0))) / (std[c] ?? 1)));
    expect(result.classes?.map((c) => c.class_name)).toEqual(['class_1', 'class_2', 'class_0']);
    for (const c of result.classes ?? [])
      expect(c.confidence).toBeCloseTo(probabilities[c.class_id] ?? -1, 5);
  });

  it('uses probabilities as they are when the manifest says so', async () => {
    const fixed = linearClassifierModel({
      inputSize: { width: 8, height: 8 },
      weights: [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ],
      bias: [0.2, 0.7, 0.1],
    });
    const predictor = await load('fixed-probabilities', { output: 'probabilities' }, fixed);
    const result = await predictor.predict(solidImage(8, 8, [1, 2, 3]), { topK: 2 });
    expect(result.classes?.map((c) => c.class_id)).toEqual([1, 0]);
    expect(result.classes?.[0]?.confidence).toBeCloseTo(0.7, 6);
    expect(result.classes?.[1]?.confidence).toBeCloseTo(0.2, 6);
  });

  it('refuses labels that do not match the number of classes', async () => {
    await expect(load('colours-two-labels', { labels: ['red', 'green'] })).rejects.toThrow(
      /predicts 3 classes but "labels" has 2 names/,
    );
  });

  it('runs raw batches and reports its tensors v2-style', async () => {
    const predictor = await load('colours-raw', { labels: CLASSIFY_LABELS });
    expect(predictor.info.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 3, 8, 8] }]);
    expect(predictor.info.outputs).toEqual([{ name: 'logits', datatype: 'FP32', shape: [-1, 3] }]);
    const input = new Tensor('float32', new Float32Array(2 * 3 * 64).fill(0.5), [2, 3, 8, 8]);
    const out = await predictor.infer?.({ input });
    expect(out?.logits?.dims).toEqual([2, 3]);
    expect(Array.from(out?.logits?.data as Float32Array)).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

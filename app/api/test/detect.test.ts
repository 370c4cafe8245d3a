// The detect task: letterbox maths and pixels, YOLO decoding in both layouts, class-wise NMS, mapping
// back to original pixels, and whole models run by real onnxruntime sessions.
import { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeYolo, resolveLayout } from '../src/tasks/detect/decode.js';
import { detectTask } from '../src/tasks/detect/index.js';
import { letterboxGeometry, letterboxInto, unletterboxBox } from '../src/tasks/detect/letterbox.js';
import { detectManifest } from '../src/tasks/detect/manifest.js';
import { type Candidate, classWiseNms, iou } from '../src/tasks/detect/nms.js';
import type { Detection } from '../src/tasks/types.js';
import { constantOutputModel } from './helpers/onnx-builder.js';
import { taskSessions } from './helpers/task-sessions.js';
import {
  DETECT_LABELS,
  endToEndTensor,
  solidImage,
  writeModel,
  yoloModel,
  yolov5Tensor,
  yolov8Tensor,
} from './helpers/user-models.js';

describe('letterbox geometry', () => {
  it('fits a wide image and centres it vertically', () => {
    expect(letterboxGeometry(200, 100, 64, 64)).toEqual({
      scale: 0.32,
      width: 64,
      height: 32,
      left: 0,
      top: 16,
    });
    expect(letterboxGeometry(640, 480, 640, 640)).toEqual({
      scale: 1,
      width: 640,
      height: 480,
      left: 0,
      top: 80,
    });
  });

  it('fits a tall image and centres it horizontally', () => {
    expect(letterboxGeometry(300, 600, 640, 640)).toEqual({
      scale: 640 / 600,
      width: 320,
      height: 640,
      left: 160,
      top: 0,
    });
  });

  it('puts the odd padding pixel after the image, like ultralytics', () => {
    // 51 * 0.64 = 32.64 -> 33 rows; 31 rows of padding: 15 above, 16 below.
    expect(letterboxGeometry(100, 51, 64, 64)).toMatchObject({ height: 33, top: 15 });
  });

  it("rounds halves to even, like Python's round()", () => {
    // 5 * 0.5 = 2.5 -> 2 (JavaScript's Math.round would give 3).
    expect(letterboxGeometry(10, 5, 5, 5)).toMatchObject({ scale: 0.5, width: 5, height: 2, top: 1 });
  });

  it('maps boxes back to original pixels and clips them to the image', () => {
    const lb = letterboxGeometry(200, 100, 64, 64);
    expect(unletterboxBox([16, 24, 48, 40], lb, 200, 100)).toEqual([50, 25, 150, 75]);
    expect(unletterboxBox([-4, 10, 70, 60], lb, 200, 100)).toEqual([0, 0, 200, 100]);
  });
});

describe('letterbox pixels', () => {
  const bytes = { scale: 1, mean: [0, 0, 0], std: [1, 1, 1] } as const;

  it('scales the image into the middle and pads with grey 114, as planar floats', async () => {
    const pixels = new Float32Array(3 * 8 * 8).fill(-1);
    const letterbox = await letterboxInto(solidImage(4, 2, [255, 0, 0]), 8, 8, bytes, pixels);
    expect(letterbox).toEqual({ scale: 2, width: 8, height: 4, left: 0, top: 2 });
    const at = (c: number, x: number, y: number) => pixels[c * 64 + y * 8 + x];
    for (const y of [0, 1, 6, 7])
      for (let x = 0; x < 8; x++) for (let c = 0; c < 3; c++) expect(at(c, x, y)).toBe(114);
    for (let y = 2; y < 6; y++)
      for (let x = 0; x < 8; x++) expect([0, 1, 2].map((c) => at(c, x, y))).toEqual([255, 0, 0]);
  });

  it('takes an image decoded to its letterboxed size as is, with the geometry of the image as sent', async () => {
    // What the worker hands over after decoding a 200x100 image straight to 64x32 (decodeSize).
    const decoded = { ...solidImage(64, 32, [10, 20, 30]), source: { width: 200, height: 100 } };
    const pixels = new Float32Array(3 * 64 * 64);
    const letterbox = await letterboxInto(decoded, 64, 64, bytes, pixels);
    expect(letterbox).toEqual(letterboxGeometry(200, 100, 64, 64));
    expect([pixels[16 * 64], pixels[4096 + 16 * 64], pixels[8192 + 47 * 64 + 63]]).toEqual([10, 20, 30]);
    expect([pixels[15 * 64], pixels[48 * 64]]).toEqual([114, 114]);
  });

  it('keeps the padding of a reused buffer only while the geometry is the same: every run equals a fresh buffer', async () => {
    const wide = { ...solidImage(16, 8, [10, 20, 30]), source: { width: 200, height: 100 } };
    const tall = { ...solidImage(8, 16, [40, 50, 60]), source: { width: 100, height: 200 } };
    const square = solidImage(16, 16, [70, 80, 90]);
    const size = 3 * 16 * 16;
    // Two slices of one buffer, as a batch of two lays them out; each is reused in turn.
    const buffer = new Float32Array(2 * size);
    for (const [slice, image] of [
      [0, wide],
      [0, wide],
      [1, tall],
      [0, tall],
      [0, square],
      [0, wide],
      [1, wide],
      [1, tall],
    ] as const) {
      const pixels = buffer.subarray(slice * size, (slice + 1) * size);
      const fresh = new Float32Array(size);
      expect(await letterboxInto(image, 16, 16, bytes, pixels)).toEqual(
        await letterboxInto(image, 16, 16, bytes, fresh),
      );
      expect(pixels).toEqual(fresh);
    }
  });
});

describe('YOLO decoding', () => {
  it('tells the layouts apart by label count, else by the shorter axis', () => {
    expect(resolveLayout([1, 84, 8400], 'auto', 80)).toBe('yolov8');
    expect(resolveLayout([1, 25200, 85], 'auto', 80)).toBe('yolov5');
    expect(resolveLayout([1, 6, 4], 'auto', 2)).toBe('yolov8');
    expect(resolveLayout([1, 4, 7], 'auto', 2)).toBe('yolov5');
    expect(resolveLayout([1, 84, 8400], 'auto', 3)).toBe('yolov8');
    expect(resolveLayout([1, 8400, 9], 'auto', 80)).toBe('yolov5');
    expect(resolveLayout([1, 6, 4], 'auto', 80)).toBe('yolov8');
    expect(resolveLayout([1, 3, 7], 'auto', 80)).toBe('yolov5');
    expect(resolveLayout([1, 300, 6], 'auto', 80)).toBe('end2end');
    expect(resolveLayout([1, 25200, 6], 'auto', 1)).toBe('yolov5');
    expect(resolveLayout([1, 84, 8400], 'yolov5', 80)).toBe('yolov5');
    expect(() => resolveLayout([84, 8400], 'auto', 80)).toThrow(/3-D/);
  });

  const expected: Candidate[] = [
    { box: [16, 24, 48, 40], score: 0.9, classId: 0 },
    { box: [17, 24, 49, 40], score: 0.8, classId: 0 },
    { box: [16, 24, 48, 40], score: 0.7, classId: 1 },
    { box: [-4, 16, 12, 24], score: 0.3, classId: 0 },
  ];

  function expectCandidates(actual: Candidate[], wanted: Candidate[]) {
    expect(actual.map((c) => c.classId)).toEqual(wanted.map((c) => c.classId));
    actual.forEach((c, i) => {
      expect(c.box).toEqual(wanted[i]?.box);
      expect(c.score).toBeCloseTo(wanted[i]?.score ?? Number.NaN, 6);
    });
  }

  it('decodes the YOLOv8 layout [batch, 4+nc, N]', () => {
    const t = yolov8Tensor();
    const [items, ...rest] = decodeYolo(
      { data: Float32Array.from(t.values), dims: [1, ...t.dims] },
      'yolov8',
      0.25,
    );
    expect(rest).toEqual([]);
    expectCandidates(items ?? [], expected);
  });

  it('decodes the YOLOv5 layout [batch, N, 5+nc] with objectness × class score', () => {
    const t = yolov5Tensor();
    const [items] = decodeYolo({ data: Float32Array.from(t.values), dims: [1, ...t.dims] }, 'yolov5', 0.25);
    expectCandidates(items ?? [], expected);
  });

  it('decodes the end-to-end layout [batch, N, 6] (x1, y1, x2, y2, score, class)', () => {
    const t = endToEndTensor();
    const [items] = decodeYolo({ data: Float32Array.from(t.values), dims: [1, ...t.dims] }, 'end2end', 0.25);
    expectCandidates(items ?? [], [expected[0], expected[2], expected[3]] as Candidate[]);
    expect(() => decodeYolo({ data: new Float32Array(5), dims: [1, 1, 5] }, 'end2end', 0.25)).toThrow(
      /end2end/,
    );
  });

  it('drops boxes at or below the confidence threshold', () => {
    const t = yolov8Tensor();
    const [items] = decodeYolo({ data: Float32Array.from(t.values), dims: [1, ...t.dims] }, 'yolov8', 0.75);
    expectCandidates(items ?? [], expected.slice(0, 2));
  });

  it('decodes every image of a batch', () => {
    const t = yolov8Tensor();
    const data = Float32Array.from([...t.values, ...t.values.map((v, i) => (i < 8 ? v + 100 : v))]);
    const batches = decodeYolo({ data, dims: [2, ...t.dims] }, 'yolov8', 0.25);
    expect(batches).toHaveLength(2);
    expectCandidates(batches[0] ?? [], expected);
    // The second image's first two rows (cx of every box, then cy) are shifted by 100.
    expect(batches[1]?.[0]?.box).toEqual([116, 124, 148, 140]);
  });

  it('finds the same YOLOv8 candidates as a per-box argmax over every class, for any box count', () => {
    // The reference, written the obvious way: each box's best class (the first on ties), kept over the threshold.
    const reference = (data: Float32Array, classes: number, boxes: number, confidence: number) => {
      const found: Candidate[] = [];
      for (let j = 0; j < boxes; j++) {
        let best = -1;
        for (let c = 0; c < classes; c++) {
          if (best < 0 || (data[(4 + c) * boxes + j] as number) > (data[(4 + best) * boxes + j] as number)) {
            best = c;
          }
        }
        const score = data[(4 + best) * boxes + j] as number;
        if (!(score > confidence)) continue;
        const [cx = 0, cy = 0, w = 0, h = 0] = [0, 1, 2, 3].map((r) => data[r * boxes + j] as number);
        found.push({
          box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2],
          score,
          classId: best,
        });
      }
      return found;
    };
    let state = 7;
    const random = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    for (const [classes, boxes] of [
      [3, 5],
      [80, 8400],
      [7, 1003],
      [1, 64],
    ] as const) {
      const data = new Float32Array((4 + classes) * boxes);
      for (let i = 0; i < 4 * boxes; i++) data[i] = random() * 640;
      // Mostly background under the threshold, a few boxes over it, some exact ties between classes.
      for (let i = 4 * boxes; i < data.length; i++) {
        const r = random();
        data[i] = r < 0.002 ? 0.5 : r < 0.01 ? 0.25 + random() * 0.7 : random() * 0.2;
      }
      for (const confidence of [0.25, 0.6]) {
        const [items] = decodeYolo({ data, dims: [1, 4 + classes, boxes] }, 'yolov8', confidence);
        expect(items).toEqual(reference(data, classes, boxes, confidence));
      }
    }
  });

  it('rejects an output that does not fit the layout', () => {
    expect(() => decodeYolo({ data: new Float32Array(12), dims: [1, 4, 3] }, 'yolov8', 0.25)).toThrow(
      /layout/,
    );
    expect(() => decodeYolo({ data: new Float32Array(5), dims: [1, 6, 4] }, 'yolov8', 0.25)).toThrow(
      /values/,
    );
  });
});

describe('class-wise NMS', () => {
  it('computes IoU', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 12);
    expect(iou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0);
  });

  const boxes: Candidate[] = [
    { box: [0, 0, 10, 10], score: 0.6, classId: 0 },
    { box: [5, 0, 15, 10], score: 0.9, classId: 0 },
    { box: [0, 0, 10, 10], score: 0.8, classId: 1 },
    { box: [40, 40, 50, 50], score: 0.5, classId: 0 },
  ];

  it('suppresses weaker boxes of the same class only, strongest first', () => {
    expect(classWiseNms(boxes, 0.3, 100).map((c) => c.score)).toEqual([0.9, 0.8, 0.5]);
  });

  it('keeps boxes whose IoU is at or below the threshold', () => {
    expect(classWiseNms(boxes, 1 / 3, 100).map((c) => c.score)).toEqual([0.9, 0.8, 0.6, 0.5]);
  });

  it('stops at maxDetections', () => {
    expect(classWiseNms(boxes, 0.3, 2).map((c) => c.score)).toEqual([0.9, 0.8]);
  });
});

describe('detect manifest', () => {
  it('fills defaults', () => {
    const m = detectManifest.parse({ name: 'yolo11n', task: 'detect', model: 'yolo11n.onnx' });
    expect(m).toMatchObject({
      layout: 'auto',
      confidence: 0.25,
      iou: 0.45,
      maxDetections: 300,
      version: '1',
    });
  });

  it('names the field at fault', () => {
    const r = detectManifest.safeParse({
      name: 'y',
      task: 'detect',
      model: 'y.onnx',
      iou: 2,
      layout: 'yolov3',
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['iou', 'layout']);
  });
});

describe('detect task on real onnxruntime sessions', () => {
  const sessions = taskSessions();

  async function load(
    name: string,
    layout: 'yolov8' | 'yolov5' | 'end2end',
    extra: Record<string, unknown> = {},
  ) {
    await writeModel(
      sessions.dir,
      { name, task: 'detect', labels: DETECT_LABELS, ...extra },
      yoloModel(layout),
    );
    const manifest = detectManifest.parse({
      name,
      task: 'detect',
      model: 'model.onnx',
      labels: DETECT_LABELS,
      ...extra,
    });
    return sessions.load(detectTask, manifest);
  }

  // The 200x100 image is letterboxed into 64x64 at scale 0.32 with 16 rows of padding on top.
  const image = solidImage(200, 100, [10, 200, 30]);
  function expectDetections(actual: Detection[], wanted: Array<[string, number, number[]]>) {
    expect(actual.map((d) => d.class_name)).toEqual(wanted.map((w) => w[0]));
    actual.forEach((d, i) => {
      const [, confidence, box] = wanted[i] ?? ['', 0, []];
      expect(d.confidence).toBeCloseTo(confidence, 6);
      expect([d.x_min, d.y_min, d.x_max, d.y_max]).toEqual(box);
    });
  }
  const catBox = [50, 25, 150, 75];
  const edgeCat = [0, 0, 38, 25]; // x_max 37.5 rounds to a whole pixel

  for (const layout of ['yolov8', 'yolov5', 'end2end'] as const) {
    it(`${layout}: boxes in original pixels, class-wise NMS, clipped at the edge`, async () => {
      const predictor = await load(`tiny-${layout}`, layout);
      const result = await predictor.predict(image, {});
      expectDetections(result.detections, [
        ['cat', 0.9, catBox],
        ['dog', 0.7, catBox],
        ['cat', 0.3, edgeCat],
      ]);
      expect(result.detections.map((d) => d.class_id)).toEqual([0, 1, 0]);
      expect(Object.keys(result.timings).sort()).toEqual(['inference', 'postprocess', 'preprocess']);
    });
  }

  it('takes confidence and IoU from the request', async () => {
    const predictor = await load('tiny-request-options', 'yolov8');
    const strict = await predictor.predict(image, { confidence: 0.5 });
    expectDetections(strict.detections, [
      ['cat', 0.9, catBox],
      ['dog', 0.7, catBox],
    ]);
    // At IoU 0.95 the shifted cat (IoU 496/528 = 0.94 with the best one) survives NMS.
    const loose = await predictor.predict(image, { iou: 0.95 });
    expectDetections(loose.detections, [
      ['cat', 0.9, catBox],
      ['cat', 0.8, [53, 25, 153, 75]],
      ['dog', 0.7, catBox],
      ['cat', 0.3, edgeCat],
    ]);
  });

  it('takes thresholds from the manifest and reports the tensors v2-style', async () => {
    const predictor = await load('tiny-manifest-options', 'yolov5', { confidence: 0.8, description: 'tiny' });
    expectDetections((await predictor.predict(image, {})).detections, [['cat', 0.9, catBox]]);
    expect(predictor.info).toEqual({
      name: 'tiny-manifest-options',
      task: 'detect',
      version: '1',
      description: 'tiny',
      inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, 3, 64, 64] }],
      outputs: [{ name: 'output0', datatype: 'FP32', shape: [-1, 4, 7] }],
      labels: DETECT_LABELS,
      provider: 'cpu',
      rawTensors: true,
    });
  });

  it('runs raw batches through the dynamic batch dimension', async () => {
    const predictor = await load('tiny-batch', 'yolov8');
    const images = new Tensor('float32', new Float32Array(3 * 3 * 64 * 64), [3, 3, 64, 64]);
    const out = await predictor.infer?.({ images });
    expect(out?.output0?.dims).toEqual([3, 6, 4]);
    const batches = decodeYolo({ data: out?.output0?.data as Float32Array, dims: [3, 6, 4] }, 'yolov8', 0.25);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 4]);
  });

  it('reads labels from a file, one per line', async () => {
    await writeModel(sessions.dir, { name: 'tiny-label-file', task: 'detect' }, yoloModel('yolov8'), {
      'labels.txt': 'kitten\r\npuppy\n\n',
    });
    const manifest = detectManifest.parse({
      name: 'tiny-label-file',
      task: 'detect',
      model: 'model.onnx',
      labels: 'labels.txt',
    });
    const predictor = await sessions.load(detectTask, manifest);
    const names = (await predictor.predict(image, {})).detections.map((d) => d.class_name);
    expect(names).toEqual(['kitten', 'puppy', 'kitten']);
  });

  it('defaults to the COCO-80 labels for an 80-class model', async () => {
    // Two boxes in [1, 84, 2]: class 0 (person) at 0.9 and class 79 (toothbrush) at 0.8.
    const values = new Array<number>(84 * 2).fill(0);
    [32, 32, 32, 16].forEach((v, k) => {
      values[k * 2] = v;
    });
    [10, 10, 8, 8].forEach((v, k) => {
      values[k * 2 + 1] = v;
    });
    values[4 * 2] = 0.9;
    values[(4 + 79) * 2 + 1] = 0.8;
    const onnx = constantOutputModel({
      inputSize: { width: 64, height: 64 },
      output: { dims: [84, 2], values },
    });
    await writeModel(sessions.dir, { name: 'tiny-coco', task: 'detect' }, onnx);
    const manifest = detectManifest.parse({ name: 'tiny-coco', task: 'detect', model: 'model.onnx' });
    const predictor = await sessions.load(detectTask, manifest);
    expect(predictor.info.labels).toHaveLength(80);
    const result = await predictor.predict(image, {});
    expect(result.detections.map((d) => [d.class_id, d.class_name])).toEqual([
      [0, 'person'],
      [79, 'toothbrush'],
    ]);
  });

  it('refuses labels that do not match the number of classes the model predicts', async () => {
    await writeModel(sessions.dir, { name: 'tiny-no-labels', task: 'detect' }, yoloModel('yolov8'));
    const coco = detectManifest.parse({ name: 'tiny-no-labels', task: 'detect', model: 'model.onnx' });
    await expect(sessions.load(detectTask, coco)).rejects.toThrow(
      /predicts 2 classes but the default label list \(COCO-80\) has 80 names/,
    );
    const three = detectManifest.parse({ ...coco, labels: ['a', 'b', 'c'], layout: 'yolov8' });
    await expect(sessions.load(detectTask, three)).rejects.toThrow(/predicts 2 classes/);
    // [1, 6, 4] read as YOLOv5 would leave 4 - 5 = -1 classes.
    const wrongLayout = detectManifest.parse({ ...coco, labels: DETECT_LABELS, layout: 'yolov5' });
    await expect(sessions.load(detectTask, wrongLayout)).rejects.toThrow(/check "layout"/);
  });

  it('refuses an inputSize that contradicts the model', async () => {
    await writeModel(sessions.dir, { name: 'tiny-wrong-size', task: 'detect' }, yoloModel('yolov8'));
    const manifest = detectManifest.parse({
      name: 'tiny-wrong-size',
      task: 'detect',
      model: 'model.onnx',
      inputSize: [640, 640],
    });
    await expect(sessions.load(detectTask, manifest)).rejects.toThrow(/does not match/);
  });
});

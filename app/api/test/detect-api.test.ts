// A user's own detect and classify models dropped into a models folder: validated at start, then served
// through the hands-on's /predict and through /v1, by a real worker pool and onnxruntime.
import { rm } from 'node:fs/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests } from '../src/models/manifests.js';
import { classifyTask } from '../src/tasks/classify/index.js';
import { classifyManifest } from '../src/tasks/classify/manifest.js';
import { type Listening, listen, startRuntime, type TestRuntime } from './helpers/api-runtime.js';
import { taskSessions } from './helpers/task-sessions.js';
import {
  CLASSIFY_LABELS,
  colourClassifierModel,
  DETECT_LABELS,
  tempModelsDir,
  writeModel,
  yoloModel,
} from './helpers/user-models.js';

let rt: TestRuntime;
let modelsDir: string;
let scene: Buffer; // 200x100, letterboxed into the 64x64 detector at scale 0.32
let red: Buffer;

interface Body {
  model: string;
  detections: { x_min: number; y_min: number; x_max: number; y_max: number; class_name: string }[];
  classes?: { class_id: number; class_name: string; confidence: number }[];
  timings: Record<string, number>;
}

beforeAll(async () => {
  modelsDir = await tempModelsDir();
  await writeModel(modelsDir, { name: 'yolo', task: 'detect', labels: DETECT_LABELS }, yoloModel('yolov8'));
  const halves = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255 };
  await writeModel(
    modelsDir,
    { name: 'colours', task: 'classify', labels: CLASSIFY_LABELS, normalization: halves, topK: 2 },
    colourClassifierModel(),
  );
  scene = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  red = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#ff0000' } })
    .jpeg({ quality: 100 })
    .toBuffer();
  rt = await startRuntime({ MODELS_DIR: modelsDir, WORKERS: '1' });
  await rt.pool.ready;
});

afterAll(async () => {
  await rt?.pool.close();
  await rm(modelsDir, { recursive: true, force: true });
});

const boxes = (body: Body) => body.detections.map((d) => [d.class_name, d.x_min, d.y_min, d.x_max, d.y_max]);
const expectedBoxes = [
  ['cat', 50, 25, 150, 75],
  ['dog', 50, 25, 150, 75],
  ['cat', 0, 0, 38, 25],
];

describe('detect', () => {
  it('POST /predict (the hands-on contract) returns boxes in original pixels', async () => {
    const res = await rt.app.request('/predict', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'yolo', image: scene.toString('base64') }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Body;
    expect(boxes(body)).toEqual(expectedBoxes);
    expect(body.classes).toBeUndefined();
    expect(Object.keys(body.timings).sort()).toEqual(['decode', 'inference', 'postprocess', 'preprocess']);
  });

  it('maps boxes to the image as sent when it is decoded straight to the network size', async () => {
    // A 1000x500 JPEG shrinks on load (÷8) before the bilinear resize; a 100x200 JPEG whose EXIF says
    // "rotate 90°" is a 200x100 picture. Both letterbox like the 200x100 scene.
    const grey = (width: number, height: number) =>
      sharp({ create: { width, height, channels: 3, background: '#808080' } });
    const large = await grey(1000, 500).jpeg().toBuffer();
    const rotated = await grey(100, 200).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const largeBoxes = [
      ['cat', 250, 125, 750, 375],
      ['dog', 250, 125, 750, 375],
      ['cat', 0, 0, 188, 125], // 12 / 0.064 = 187.5
    ];
    for (const [image, expected] of [
      [large, largeBoxes],
      [rotated, expectedBoxes],
    ] as const) {
      const res = await rt.app.request('/v1/models/yolo/predict', {
        method: 'POST',
        headers: { 'Content-Type': 'image/jpeg' },
        body: new Uint8Array(image),
      });
      expect(res.status).toBe(200);
      expect(boxes((await res.json()) as Body)).toEqual(expected);
    }
  });

  it('POST /v1/models/{name}/predict honours ?confidence', async () => {
    const res = await rt.app.request('/v1/models/yolo/predict?confidence=0.5', {
      method: 'POST',
      headers: { 'Content-Type': 'image/png' },
      body: scene,
    });
    expect(res.status).toBe(200);
    expect(boxes((await res.json()) as Body)).toEqual(expectedBoxes.slice(0, 2));
  });

  it('GET /v1/models/{name} describes the model', async () => {
    const res = await rt.app.request('/v1/models/yolo');
    expect(await res.json()).toMatchObject({
      name: 'yolo',
      task: 'detect',
      labels: DETECT_LABELS,
      inputs: [{ name: 'images', datatype: 'FP32', shape: [-1, 3, 64, 64] }],
      provider: 'cpu',
    });
  });
});

describe('classify', () => {
  let server: Listening;
  beforeAll(async () => {
    server = await listen(rt);
  });
  afterAll(() => server?.close());

  it('returns the ranked classes, and each as a whole-image detection, over HTTP', async () => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(red)], { type: 'image/jpeg' }), 'red.jpg');
    const res = await fetch(`${server.url}/v1/models/colours/predict`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Body;
    expect(body.classes?.map((c) => c.class_name)).toEqual(['red', 'green']);
    // JPEG red decodes close to (254, 0, 0): logits close to (2, -2, -2).
    expect(body.classes?.[0]?.confidence).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 2 * Math.exp(-2)), 2);
    expect(body.detections).toEqual(
      (body.classes ?? []).map((c) => ({ x_min: 0, y_min: 0, x_max: 30, y_max: 20, ...c })),
    );
  });

  const sessions = taskSessions();
  it('decodes only the centre crop in the worker, with the answer of resizing everything then cropping', async () => {
    // Blue | red | green thirds: the centre crop sees red alone, the whole image all three.
    const stripes = (colour: string) =>
      sharp({ create: { width: 100, height: 100, channels: 3, background: colour } })
        .png()
        .toBuffer();
    const thirds = await Promise.all(['#0000ff', '#ff0000', '#00ff00'].map(stripes));
    const jpeg = await sharp({ create: { width: 300, height: 100, channels: 3, background: '#000' } })
      .composite(thirds.map((input, i) => ({ input, left: 100 * i, top: 0 })))
      .jpeg({ quality: 90 })
      .toBuffer();
    const res = await fetch(`${server.url}/v1/models/colours/predict`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg' },
      body: new Uint8Array(jpeg),
    });
    const body = (await res.json()) as Body;
    // In process, the way it was done before: the whole image decoded to the resize size (9 px shorter side),
    // the crop taken while writing the tensor.
    await writeModel(sessions.dir, { name: 'colours', task: 'classify' }, colourClassifierModel());
    const predictor = await sessions.load(
      classifyTask,
      classifyManifest.parse({
        name: 'colours',
        task: 'classify',
        model: 'model.onnx',
        labels: CLASSIFY_LABELS,
        normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255 },
        topK: 2,
      }),
    );
    const resized = await sharp(jpeg)
      .rotate()
      .resize(27, 9, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer();
    const whole = {
      data: new Uint8Array(resized),
      width: 27,
      height: 9,
      source: { width: 300, height: 100 },
    };
    const expected = await predictor.predict(whole, {});
    expect(body.classes?.[0]?.class_name).toBe('red');
    expect(body.classes).toEqual(expected.classes);
    expect(body.detections).toEqual(expected.detections);
  });
});

describe('model.json problems stop the server at start, naming the field', () => {
  it('rejects a bad detect manifest', async () => {
    const dir = await tempModelsDir();
    try {
      await writeModel(
        dir,
        { name: 'yolo', task: 'detect', iou: 1.5, layout: 'yolov3' },
        yoloModel('yolov8'),
      );
      await expect(loadManifests(dir)).rejects.toThrow(
        /field "iou".*field "layout"|field "layout".*field "iou"/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a classify manifest whose crop does not fit', async () => {
    const dir = await tempModelsDir();
    try {
      await writeModel(
        dir,
        { name: 'cls', task: 'classify', inputSize: [224, 224], resize: 200 },
        colourClassifierModel(),
      );
      await expect(loadManifests(dir)).rejects.toThrow(/field "resize"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails the start when the model file is missing', async () => {
    const dir = await tempModelsDir();
    const broken = await startRuntime({ MODELS_DIR: dir, WORKERS: '1' }).catch((error: Error) => error);
    expect(broken).toBeInstanceOf(Error); // no model.json at all
    await writeModel(dir, { name: 'gone', task: 'detect', model: 'missing.onnx' }, yoloModel('yolov8'));
    const runtime = await startRuntime({ MODELS_DIR: dir, WORKERS: '1' });
    try {
      await expect(runtime.pool.ready).rejects.toThrow(/missing\.onnx/);
    } finally {
      await runtime.pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

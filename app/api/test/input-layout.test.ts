// Channels-last (NHWC) models, as TensorFlow/Keras exports are, are refused at load with their shape and the
// re-export to use (they failed at the first run with "Expected positive integer ... for height but received
// 0", or an onnxruntime dimension dump cut to its first line); and onnxruntime's explanations are kept whole.
import { rm } from 'node:fs/promises';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneLine } from '../src/errors.js';
import { classifyTask } from '../src/tasks/classify/index.js';
import { classifyManifest } from '../src/tasks/classify/manifest.js';
import { detectTask } from '../src/tasks/detect/index.js';
import { detectManifest } from '../src/tasks/detect/manifest.js';
import { listedModels, startRuntime, type TestRuntime } from './helpers/api-runtime.js';
import { buildOnnxModel, type Dim } from './helpers/onnx-builder.js';
import { taskSessions } from './helpers/task-sessions.js';
import { colourClassifierModel, tempModelsDir, writeModel } from './helpers/user-models.js';

/** A model whose input has `shape` and whose output [batch, 3] is the input's mean over the other axes. */
const meanModel = (shape: Dim[], outputShape: Dim[] = ['b', 3]) =>
  buildOnnxModel({
    inputs: [{ name: 'input', shape }],
    outputs: [{ name: 'o', shape: outputShape }],
    nodes: [
      {
        op: 'ReduceMean',
        inputs: ['input'],
        outputs: ['o'],
        attrs: { axes: [1, 2], keepdims: 0 },
      },
    ],
  });

describe('input layout at load, on real sessions', () => {
  const sessions = taskSessions();

  it('an NHWC classifier is refused naming its shape, NCHW and how to re-export', async () => {
    await writeModel(sessions.dir, { name: 'keras', task: 'classify' }, meanModel(['b', 224, 224, 3]));
    const manifest = classifyManifest.parse({ name: 'keras', task: 'classify', model: 'model.onnx' });
    await expect(sessions.load(classifyTask, manifest)).rejects.toThrow(
      /input "input" has shape \[\?,224,224,3\] \(channels last, NHWC: a TensorFlow\/Keras export\); a classify model needs an NCHW image input \[batch, 3, height, width\]\. Re-export it channels first \(tf2onnx: --inputs-as-nchw input;/,
    );
  });

  it('an NHWC detector is refused the same way (was a resize to height 0 at warm-up)', async () => {
    await writeModel(
      sessions.dir,
      { name: 'keras-yolo', task: 'detect', labels: ['cat', 'dog'] },
      meanModel(['b', 64, 64, 3]),
    );
    const manifest = detectManifest.parse({
      name: 'keras-yolo',
      task: 'detect',
      model: 'model.onnx',
      labels: ['cat', 'dog'],
    });
    await expect(sessions.load(detectTask, manifest)).rejects.toThrow(
      /has shape \[\?,64,64,3\] \(channels last, NHWC.*a detect model needs an NCHW image input/,
    );
  });

  it('an input without a batch axis is refused naming its shape', async () => {
    await writeModel(sessions.dir, { name: 'rank3', task: 'classify' }, meanModel([3, 8, 8], [3]));
    const manifest = classifyManifest.parse({ name: 'rank3', task: 'classify', model: 'model.onnx' });
    await expect(sessions.load(classifyTask, manifest)).rejects.toThrow(
      /input "input" has shape \[3,8,8\]; a classify model needs an NCHW image input .*batch axis/,
    );
  });
});

describe('through the API', () => {
  let rt: TestRuntime;
  let modelsDir: string;
  beforeAll(async () => {
    modelsDir = await tempModelsDir();
    await writeModel(modelsDir, { name: 'keras', task: 'classify' }, meanModel(['b', 224, 224, 3]));
    await writeModel(modelsDir, { name: 'colours', task: 'classify' }, colourClassifierModel());
    rt = await startRuntime({ MODELS_DIR: modelsDir, WORKERS: '1' });
    await rt.pool.ready;
  });
  afterAll(async () => {
    await rt?.pool.close();
    await rm(modelsDir, { recursive: true, force: true });
  });

  it('/v1/models lists the NHWC model as failed with the layout reason; the other one serves', async () => {
    const models = await listedModels(rt);
    expect(models.find((m) => m.name === 'keras')).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/channels last, NHWC/),
    });
    expect(models.find((m) => m.name === 'colours')).not.toHaveProperty('status', 'failed');
  });

  it('keeps onnxruntime’s explanation past its first line (was cut to "Got invalid dimensions for input: …")', async () => {
    const session = await InferenceSession.create(colourClassifierModel());
    const error = await session
      .run({ input: new Tensor('float32', new Float32Array(48), [1, 3, 4, 4]) })
      .catch((e: unknown) => e);
    await session.release();
    expect(oneLine(error)).toMatch(
      /^Got invalid dimensions for input: input for the following indices \/ index: 2 Got: 4 Expected: 8 \/ index: 3/,
    );
  });
});

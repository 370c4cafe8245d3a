// `classify`: ImageNet-style classifiers. Resize + centre crop, normalise, one network run, top-k.
// Each class is also reported as a detection covering the whole image, so box-only clients keep working.
import { performance } from 'node:perf_hooks';
import { Tensor } from 'onnxruntime-node';
import {
  checkClassCount,
  checked,
  imageIo,
  labelOf,
  loadLabels,
  openModel,
  runRaw,
  toChwFloat,
} from '../onnx-image-model.js';
import type { TaskDefinition } from '../types.js';
import { type ClassifyManifest, classifyManifest } from './manifest.js';
import { resizeAndCrop } from './preprocess.js';
import { softmax, topK } from './rank.js';

const DEFAULT_SIZE: [number, number] = [224, 224];

export const classifyTask: TaskDefinition<ClassifyManifest> = {
  task: 'classify',
  manifestSchema: classifyManifest,
  async load(manifest, context) {
    const model = await openModel(manifest.model, context);
    const { session } = model;
    const { input, output, width, height, labels } = await checked(model, async () => {
      const io = imageIo(model, 'classify', manifest.inputSize, DEFAULT_SIZE);
      const labels = manifest.labels ? await loadLabels(manifest.labels, context.modelDir) : undefined;
      // [batch, K] or [batch, K, 1, 1]
      const classes = io.output.shape[1];
      if (labels) checkClassCount(classes, labels, '"labels"');
      return { ...io, labels };
    });
    const shorter = manifest.resize ?? Math.max(width, height, Math.floor(Math.min(width, height) / 0.875));
    const nameOf = (id: number) => (labels ? labelOf(labels, id) : `class_${id}`);

    return {
      info: {
        name: manifest.name,
        task: 'classify',
        version: manifest.version,
        description: manifest.description,
        inputs: model.inputs,
        outputs: model.outputs,
        labels,
        provider: model.provider,
        rawTensors: true,
      },
      async predict(image, options) {
        const t0 = performance.now();
        const cropped = await resizeAndCrop(image, shorter, width, height);
        const pixels = toChwFloat(cropped, manifest.normalization);
        const t1 = performance.now();
        const results = await session.run({
          [input.name]: new Tensor('float32', pixels, [1, 3, height, width]),
        });
        const t2 = performance.now();
        // [1, K] or [1, K, 1, 1]: one score per class either way.
        const scores = (results[output.name] as Tensor).data as Float32Array;
        const probabilities = manifest.output === 'logits' ? softmax(scores) : scores;
        const k = options.topK ?? manifest.topK;
        const classes = topK(probabilities, k, options.confidence ?? manifest.confidence, nameOf);
        const detections = classes.map((c) => ({
          x_min: 0,
          y_min: 0,
          x_max: image.width,
          y_max: image.height,
          ...c,
        }));
        const t3 = performance.now();
        return {
          detections,
          classes,
          timings: {
            preprocess: (t1 - t0) / 1000,
            inference: (t2 - t1) / 1000,
            postprocess: (t3 - t2) / 1000,
          },
        };
      },
      infer: (inputs) => runRaw(session, inputs),
      release: () => session.release(),
    };
  },
};

// `classify`: ImageNet-style classifiers. Resize + centre crop, normalise, one network run, top-k.
// Each class is also reported as a detection covering the whole image, so box-only clients keep working.
import {
  checkClassCount,
  checked,
  imageIo,
  imagePredictor,
  labelOf,
  loadLabels,
  openModel,
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
    const { labels, ...io } = await checked(model, async () => {
      const io = imageIo(model, 'classify', manifest.inputSize, DEFAULT_SIZE);
      const labels = manifest.labels ? await loadLabels(manifest.labels, context.modelDir) : undefined;
      // [batch, K] or [batch, K, 1, 1]
      const classes = io.output.shape[1];
      if (labels) checkClassCount(classes, labels, '"labels"');
      return { ...io, labels };
    });
    const { width, height } = io;
    const shorter = manifest.resize ?? Math.max(width, height, Math.floor(Math.min(width, height) / 0.875));
    const nameOf = (id: number) => (labels ? labelOf(labels, id) : `class_${id}`);

    return imagePredictor(manifest, model, io, labels, {
      async preprocess(image) {
        const cropped = await resizeAndCrop(image, shorter, width, height);
        return { pixels: toChwFloat(cropped, manifest.normalization) };
      },
      postprocess(output, _prepared, image, options) {
        // [1, K] or [1, K, 1, 1]: one score per class either way.
        const scores = output.data as Float32Array;
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
        return { detections, classes };
      },
    });
  },
};

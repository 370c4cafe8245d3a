// `classify`: ImageNet-style classifiers. Resize + centre crop, normalise, one network run, top-k.
// Each class is also reported as a detection covering the whole image, so box-only clients keep working.
import { writeChw } from '../../images/chw.js';
import { resizeRgb } from '../../images/resize.js';
import { detectionColumns, setDetection } from '../detection-columns.js';
import {
  batchPolicy,
  checkClassCount,
  checked,
  imageIo,
  imagePredictor,
  loadLabels,
  openModel,
} from '../onnx-image-model.js';
import { sourceSize, type TaskDefinition } from '../types.js';
import { type ClassifyManifest, classifyManifest } from './manifest.js';
import { checkClassScores, classifierClassCount } from './output-shape.js';
import { CLASSIFY_KERNEL, resizeCropGeometry } from './preprocess.js';
import { classProbabilities, topK } from './rank.js';

const DEFAULT_SIZE: [number, number] = [224, 224];

export const classifyTask: TaskDefinition<ClassifyManifest> = {
  task: 'classify',
  manifestSchema: classifyManifest,
  async load(manifest, context) {
    const model = await openModel(manifest.model, context);
    const { labels, ...io } = await checked(model, async () => {
      const io = imageIo(model, 'classify', manifest.inputSize, DEFAULT_SIZE);
      const labels = manifest.labels ? await loadLabels(manifest.labels, context.modelDir) : undefined;
      const classes = classifierClassCount(io.output, io.input);
      if (labels) checkClassCount(classes, labels, '"labels"');
      // The manifest schema checks "resize" against "inputSize"; an input size read from the model is checked here.
      const crop = Math.max(io.width, io.height);
      if (manifest.resize !== undefined && manifest.resize < crop) {
        throw new Error(
          `"resize" ${manifest.resize} is smaller than the model's input ${io.width}x${io.height}, so the centre ` +
            `crop would not fit: set "resize" to at least ${crop}, or leave it out`,
        );
      }
      return { ...io, labels, batching: batchPolicy(manifest.batching, io.input, model.provider) };
    });
    const { width, height } = io;
    const shorter = manifest.resize ?? Math.max(width, height, Math.floor(Math.min(width, height) / 0.875));

    const geometry = (w: number, h: number) => resizeCropGeometry(w, h, shorter, width, height);

    return imagePredictor(manifest, model, io, labels, {
      decodeSize(w, h) {
        const g = geometry(w, h);
        return { width: g.width, height: g.height, crop: { left: g.left, top: g.top, width, height } };
      },
      async preprocess(image, _options, pixels) {
        // The worker decoded the crop alone: its pixels are the network input.
        if (image.crop) {
          writeChw(image, manifest.normalization, 'rgb', pixels);
          return undefined;
        }
        const source = sourceSize(image);
        const g = geometry(source.width, source.height);
        const resized = await resizeRgb(image, g.width, g.height, CLASSIFY_KERNEL);
        writeChw(resized, manifest.normalization, 'rgb', pixels, { left: g.left, top: g.top, width, height });
        return undefined;
      },
      postprocess(output, _prepared, image, options) {
        // [1, K] or [1, K, 1, 1]: one score per class either way.
        checkClassScores(output.dims);
        const probabilities = classProbabilities(output.data, manifest.output);
        const k = options.topK ?? manifest.topK;
        const ids = topK(probabilities, k, options.confidence ?? manifest.confidence);
        const { width, height } = sourceSize(image);
        const columns = detectionColumns(ids.length, true);
        ids.forEach((id, i) => {
          setDetection(columns, i, [0, 0, width, height], id, probabilities[id] as number);
        });
        return { detections: [], columns };
      },
    });
  },
};

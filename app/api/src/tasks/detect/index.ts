// `detect`: ultralytics YOLO detectors (v5 to v12) exported to ONNX. Letterbox, one network run, decode,
// class-wise NMS (unless the model did it), boxes back in original-image pixels.

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
import { COCO80_LABELS } from './coco80.js';
import { classCount, decodeYolo, resolveLayout } from './decode.js';
import { letterboxGeometry, letterboxInto, unletterboxBox } from './letterbox.js';
import { type DetectManifest, detectManifest } from './manifest.js';
import { classWiseNms } from './nms.js';

/** YOLO inputs are RGB scaled to 0..1, nothing else. */
const YOLO_PIXELS = { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] } as const;
const DEFAULT_SIZE: [number, number] = [640, 640];

export const detectTask: TaskDefinition<DetectManifest> = {
  task: 'detect',
  manifestSchema: detectManifest,
  async load(manifest, context) {
    const model = await openModel(manifest.model, context);
    const { labels, ...io } = await checked(model, async () => {
      const io = imageIo(model, 'detect', manifest.inputSize, DEFAULT_SIZE);
      const labels = manifest.labels
        ? await loadLabels(manifest.labels, context.modelDir)
        : [...COCO80_LABELS];
      checkClassCount(
        classCount(io.output.shape, manifest.layout, labels.length),
        labels,
        manifest.labels ? '"labels"' : 'the default label list (COCO-80)',
      );
      return { ...io, labels, batching: batchPolicy(manifest.batching, io.input, model.provider) };
    });

    return imagePredictor(manifest, model, io, labels, {
      decodeSize: (width, height) => letterboxGeometry(width, height, io.width, io.height),
      async preprocess(image, _options, pixels) {
        return { letterbox: await letterboxInto(image, io.width, io.height, YOLO_PIXELS, pixels) };
      },
      postprocess(raw, { letterbox }, image, options) {
        const layout = resolveLayout(raw.dims, manifest.layout, labels.length);
        const confidence = options.confidence ?? manifest.confidence;
        const [candidates = []] = decodeYolo(raw, layout, confidence);
        // End-to-end models have suppressed duplicates themselves (ultralytics skips NMS for them too).
        const kept =
          layout === 'end2end'
            ? candidates.sort((x, y) => y.score - x.score).slice(0, manifest.maxDetections)
            : classWiseNms(candidates, options.iou ?? manifest.iou, manifest.maxDetections);
        const { width, height } = sourceSize(image);
        const columns = detectionColumns(kept.length);
        kept.forEach((c, i) => {
          const [x_min, y_min, x_max, y_max] = unletterboxBox(c.box, letterbox, width, height);
          // Whole pixels, as the hands-on's clients expect.
          const box = [Math.round(x_min), Math.round(y_min), Math.round(x_max), Math.round(y_max)] as const;
          setDetection(columns, i, box, c.classId, c.score);
        });
        return { detections: [], columns };
      },
    });
  },
};

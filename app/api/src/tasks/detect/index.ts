// `detect`: ultralytics YOLO detectors (v5 to v12) exported to ONNX. Letterbox, one network run, decode,
// class-wise NMS (unless the model did it), boxes back in original-image pixels.
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
import type { Detection, TaskDefinition } from '../types.js';
import { COCO80_LABELS } from './coco80.js';
import { classCount, decodeYolo, resolveLayout } from './decode.js';
import { letterboxImage, unletterboxBox } from './letterbox.js';
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
      return { ...io, labels };
    });

    return imagePredictor(manifest, model, io, labels, {
      async preprocess(image) {
        const boxed = await letterboxImage(image, io.width, io.height);
        return { pixels: toChwFloat(boxed.image, YOLO_PIXELS), letterbox: boxed.letterbox };
      },
      postprocess(raw, { letterbox }, image, options) {
        const layout = resolveLayout(raw.dims, manifest.layout, labels.length);
        const confidence = options.confidence ?? manifest.confidence;
        const [candidates = []] = decodeYolo(
          { data: raw.data as Float32Array, dims: raw.dims },
          layout,
          confidence,
        );
        // End-to-end models have suppressed duplicates themselves (ultralytics skips NMS for them too).
        const kept =
          layout === 'end2end'
            ? candidates.sort((x, y) => y.score - x.score).slice(0, manifest.maxDetections)
            : classWiseNms(candidates, options.iou ?? manifest.iou, manifest.maxDetections);
        const detections: Detection[] = kept.map((c) => {
          // Whole pixels, as the hands-on's clients expect.
          const box = unletterboxBox(c.box, letterbox, image.width, image.height).map(Math.round);
          const [x_min = 0, y_min = 0, x_max = 0, y_max = 0] = box;
          return {
            x_min,
            y_min,
            x_max,
            y_max,
            class_id: c.classId,
            class_name: labelOf(labels, c.classId),
            confidence: c.score,
          };
        });
        return { detections };
      },
    });
  },
};

// `detect`: ultralytics YOLO detectors (v5 to v12) exported to ONNX. Letterbox, one network run, decode,
// class-wise NMS (unless the model did it), boxes back in original-image pixels.
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
    const { session } = model;
    const { input, output, width, height, labels } = await checked(model, async () => {
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

    return {
      info: {
        name: manifest.name,
        task: 'detect',
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
        const boxed = await letterboxImage(image, width, height);
        const pixels = toChwFloat(boxed.image, YOLO_PIXELS);
        const t1 = performance.now();
        const results = await session.run({
          [input.name]: new Tensor('float32', pixels, [1, 3, height, width]),
        });
        const t2 = performance.now();
        const raw = results[output.name] as Tensor;
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
          const box = unletterboxBox(c.box, boxed.letterbox, image.width, image.height).map(Math.round);
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
        const t3 = performance.now();
        return {
          detections,
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

// The detect and classify tasks through the real API, on synthetic tiny ONNX models built like the API's own
// tests build theirs (app/api/test/helpers). Their compute is next to nothing, so the figures are the server's
// pipeline around a model (decode, letterbox or resize + crop, tensor transfer, candidate decoding, NMS,
// softmax/top-k, JSON), not what a real YOLO or ResNet would cost to run.
import { constantOutputModel, linearClassifierModel } from '../../app/api/test/helpers/onnx-builder.js';
import { writeModel } from '../../app/api/test/helpers/user-models.js';

export interface SyntheticYolo {
  /** Square network input in pixels. */
  inputSize: number;
  classes: number;
  /** Candidate boxes in the output (8400 for a 640 px YOLOv8/11). */
  candidates: number;
  /** Objects, each reported by `perObject` overlapping candidates of one class that NMS reduces to one. */
  objects: number;
  perObject: number;
}

/** A YOLOv8n-sized head at 640 px and COCO's 80 classes: what `yolo export format=onnx` gives. */
export const SYNTHETIC_YOLO: SyntheticYolo = {
  inputSize: 640,
  classes: 80,
  candidates: 8400,
  objects: 20,
  perObject: 8,
};

/** Below the detect task's default confidence (0.25): background candidates that decoding must still scan. */
const BACKGROUND_MAX_SCORE = 0.2;

/** A small deterministic generator (a 32-bit LCG), so the model is the same bytes every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A YOLOv8/11 output `[4 + classes, candidates]` (channel-major: cx, cy, w, h, then one score per class).
 * The first `objects × perObject` candidates are jittered copies of `objects` boxes on a grid, each object
 * of one class with scores in 0.5..0.9; every other candidate has all class scores under 0.2.
 */
export function syntheticYoloV8Output(spec: SyntheticYolo): { dims: number[]; values: Float32Array } {
  const { inputSize: size, classes, candidates: n, objects, perObject } = spec;
  if (objects * perObject > n) throw new RangeError('more object candidates than candidates');
  const random = lcg(8);
  const values = new Float32Array((4 + classes) * n);
  const set = (channel: number, j: number, v: number) => {
    values[channel * n + j] = v;
  };
  const columns = Math.ceil(Math.sqrt(objects));
  const rows = Math.ceil(objects / columns);
  for (let j = 0; j < n; j++) {
    const object = Math.floor(j / perObject);
    if (object < objects) {
      const jitter = () => (random() - 0.5) * 8;
      set(0, j, (((object % columns) + 0.5) * size) / columns + jitter());
      set(1, j, ((Math.floor(object / columns) + 0.5) * size) / rows + jitter());
      set(2, j, (0.6 * size) / columns + jitter());
      set(3, j, (0.6 * size) / rows + jitter());
      set(4 + (object % classes), j, 0.5 + 0.4 * random());
    } else {
      set(0, j, random() * size);
      set(1, j, random() * size);
      set(2, j, 8 + random() * 64);
      set(3, j, 8 + random() * 64);
      for (let c = 0; c < classes; c++) set(4 + c, j, random() * BACKGROUND_MAX_SCORE);
    }
  }
  return { dims: [4 + classes, n], values };
}

export interface TaskModel {
  task: 'detect' | 'classify';
  /** The model's name in the API (its folder under MODELS_DIR). */
  model: string;
  /** What the synthetic model is and what its requests exercise. */
  description: string;
}

/** An ImageNet-shaped classifier: 224 px crop, 1,000 logits from the per-channel means (softmax, top 5). */
const CLASSIFIER = { inputSize: 224, classes: 1000 };

/**
 * Writes the synthetic detect and classify models with their model.json into `modelsDir`; `batching` goes
 * into both manifests as is (both models have a dynamic batch dimension).
 */
export async function writeTaskModels(
  modelsDir: string,
  batching?: Record<string, unknown>,
): Promise<TaskModel[]> {
  const yolo = SYNTHETIC_YOLO;
  const extra = batching ? { batching } : {};
  await writeModel(
    modelsDir,
    { name: 'synthetic-yolo', task: 'detect', layout: 'yolov8', ...extra },
    constantOutputModel({
      inputSize: { width: yolo.inputSize, height: yolo.inputSize },
      output: syntheticYoloV8Output(yolo),
    }),
  );
  const random = lcg(224);
  const row = () => Array.from({ length: CLASSIFIER.classes }, () => random() * 4 - 2);
  await writeModel(
    modelsDir,
    { name: 'synthetic-classifier', task: 'classify', output: 'logits', topK: 5, ...extra },
    linearClassifierModel({
      inputSize: { width: CLASSIFIER.inputSize, height: CLASSIFIER.inputSize },
      weights: [row(), row(), row()],
      bias: row(),
    }),
  );
  return [
    {
      task: 'detect',
      model: 'synthetic-yolo',
      description:
        `YOLOv8 layout, ${yolo.inputSize}×${yolo.inputSize} letterbox, constant output [1, ${4 + yolo.classes}, ${yolo.candidates}]: ` +
        `${yolo.objects * yolo.perObject} candidates over 0.25 reduced by NMS to ${yolo.objects} boxes`,
    },
    {
      task: 'classify',
      model: 'synthetic-classifier',
      description: `resize + ${CLASSIFIER.inputSize}×${CLASSIFIER.inputSize} centre crop, average pool + Gemm to ${CLASSIFIER.classes} logits, softmax, top 5`,
    },
  ];
}

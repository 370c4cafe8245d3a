// Writes tiny detect/classify models (built by onnx-builder) with their model.json into a temp models dir.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constantOutputModel, linearClassifierModel } from './onnx-builder.js';

export async function tempModelsDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'modelship-models-'));
}

/** models/<name>/model.onnx + models/<name>/model.json (+ extra files); returns the model's folder. */
export async function writeModel(
  modelsDir: string,
  manifest: { name: string } & Record<string, unknown>,
  onnx: Uint8Array,
  extraFiles: Record<string, string> = {},
): Promise<string> {
  const dir = join(modelsDir, manifest.name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx'), onnx);
  await writeFile(join(dir, 'model.json'), JSON.stringify({ model: 'model.onnx', ...manifest }, null, 2));
  for (const [file, text] of Object.entries(extraFiles)) await writeFile(join(dir, file), text);
  return dir;
}

/** Network input of the test detectors, and the original image size the expectations use. */
export const DETECT_INPUT = { width: 64, height: 64 };
export const DETECT_LABELS = ['cat', 'dog'];

/**
 * Four boxes in network pixels (cx, cy, w, h) with per-class scores for [cat, dog]:
 *  0: the reference cat box; 1: the same box one pixel right, a weaker cat (NMS removes it at IoU 0.45);
 *  2: the same box as a dog (another class, so NMS keeps it); 3: a weak cat hanging off the left edge.
 */
export const DETECT_BOXES = [
  { cxcywh: [32, 32, 32, 16], scores: [0.9, 0.1] },
  { cxcywh: [33, 32, 32, 16], scores: [0.8, 0.05] },
  { cxcywh: [32, 32, 32, 16], scores: [0.05, 0.7] },
  { cxcywh: [4, 20, 16, 8], scores: [0.3, 0.02] },
] as const;

/** YOLOv8/11 layout [1, 4+nc, N]: channel-major, no objectness. */
export function yolov8Tensor(): { dims: number[]; values: number[] } {
  const n = DETECT_BOXES.length;
  const channels = 4 + DETECT_LABELS.length;
  const values = new Array<number>(channels * n).fill(0);
  DETECT_BOXES.forEach((b, j) => {
    [...b.cxcywh, ...b.scores].forEach((v, k) => {
      values[k * n + j] = v;
    });
  });
  return { dims: [channels, n], values };
}

/** YOLOv5 layout [1, N, 5+nc]: box-major, objectness 1 except the last box (0.5, class score doubled). */
export function yolov5Tensor(): { dims: number[]; values: number[] } {
  const values = DETECT_BOXES.flatMap((b, j) =>
    j === DETECT_BOXES.length - 1
      ? [...b.cxcywh, 0.5, ...b.scores.map((s) => s * 2)]
      : [...b.cxcywh, 1, ...b.scores],
  );
  return { dims: [DETECT_BOXES.length, 5 + DETECT_LABELS.length], values };
}

/** End-to-end layout [1, N, 6] (YOLOv10, nms=True exports): x1, y1, x2, y2, score, class, already
 * suppressed (box 1 is gone), then a padding row with score 0 as fixed-size exports have. */
export function endToEndTensor(): { dims: number[]; values: number[] } {
  const rows = [
    [16, 24, 48, 40, 0.9, 0],
    [16, 24, 48, 40, 0.7, 1],
    [-4, 16, 12, 24, 0.3, 0],
    [0, 0, 0, 0, 0, 0],
  ];
  return { dims: [rows.length, 6], values: rows.flat() };
}

const LAYOUT_TENSORS = { yolov8: yolov8Tensor, yolov5: yolov5Tensor, end2end: endToEndTensor };

export function yoloModel(layout: keyof typeof LAYOUT_TENSORS): Uint8Array {
  return constantOutputModel({ inputSize: DETECT_INPUT, output: LAYOUT_TENSORS[layout]() });
}

/** A 3-class colour classifier on 8x8 crops: logit k = 2 × (normalised mean of channel k). */
export const CLASSIFY_LABELS = ['red', 'green', 'blue'];
export function colourClassifierModel(): Uint8Array {
  return linearClassifierModel({
    inputSize: { width: 8, height: 8 },
    weights: [
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 2],
    ],
    bias: [0, 0, 0],
  });
}

/** Normalisation to -1..1: a channel at 0 is -1, at 255 is 1, at 127.5 is 0. */
export const halves = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], scale: 1 / 255 };

/** One logit = 3 × (normalised mean red − normalised mean blue) + bias: positive for red, negative for blue
 * (with `halves`: 6 + bias for pure red, -6 + bias for pure blue, the bias for any grey). */
export const isRedModel = (bias = 0) =>
  linearClassifierModel({ inputSize: { width: 8, height: 8 }, weights: [[3], [0], [-3]], bias: [bias] });

/** A uniform RGB image. */
export function solidImage(width: number, height: number, rgb: [number, number, number]) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height };
}

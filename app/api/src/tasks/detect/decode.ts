// Turns a YOLO output tensor into scored boxes (network pixels), per image of the batch.
//   yolov8 layout  [batch, 4+nc, N]: rows cx, cy, w, h, then one score per class (no objectness).
//   yolov5 layout  [batch, N, 5+nc]: per box cx, cy, w, h, objectness, then class probabilities;
//                                    the score is objectness × class probability.
//   end2end layout [batch, N, 6]:    per box x1, y1, x2, y2, score, class id (NMS done by the model).
import type { OutputTensor } from '../onnx-image-model.js';
import type { YoloLayout } from './manifest.js';
import type { Candidate } from './nms.js';

/** Picks the layout of a [batch, a, b] output: the one whose class count matches the labels, else
 * [., N, 6] is end-to-end, else the one that leaves at least one class, else the one whose channel axis
 * is the shorter (boxes outnumber channels in real exports). */
export function resolveLayout(
  dims: readonly number[],
  layout: YoloLayout | 'auto',
  labelCount: number,
): YoloLayout {
  if (dims.length !== 3) throw new Error(`expected a 3-D YOLO output [batch, a, b], got shape [${dims}]`);
  if (layout !== 'auto') return layout;
  const [, a = 0, b = 0] = dims;
  if (a - 4 === labelCount) return 'yolov8';
  if (b - 5 === labelCount) return 'yolov5';
  if (b === 6) return 'end2end';
  if (b - 5 < 1) return 'yolov8';
  if (a - 4 < 1) return 'yolov5';
  return a <= b ? 'yolov8' : 'yolov5';
}

/** Classes a model predicts, from its output metadata (-1 = dynamic); undefined when it does not say. */
export function classCount(
  shape: readonly number[],
  layout: YoloLayout | 'auto',
  labelCount: number,
): number | undefined {
  const [, a = -1, b = -1] = shape;
  if (shape.length !== 3 || a < 0 || b < 0) return undefined;
  const resolved = resolveLayout(shape, layout, labelCount);
  if (resolved === 'yolov8') return a - 4;
  if (resolved === 'yolov5') return b - 5;
  return undefined;
}

/** Candidates above `confidence`, one list per batch item; each box gets its best class. */
export function decodeYolo(output: OutputTensor, layout: YoloLayout, confidence: number): Candidate[][] {
  if (layout === 'end2end') return decodeEndToEnd(output, confidence);
  const [batch = 0, a = 0, b = 0] = output.dims;
  const channels = layout === 'yolov8' ? a : b;
  const boxes = layout === 'yolov8' ? b : a;
  const first = layout === 'yolov8' ? 4 : 5;
  if (output.dims.length !== 3 || channels <= first) {
    throw new Error(`output shape [${output.dims}] does not fit the ${layout} layout`);
  }
  if (output.data.length !== batch * channels * boxes) {
    throw new Error(`output has ${output.data.length} values for shape [${output.dims}]`);
  }
  const result: Candidate[][] = [];
  for (let i = 0; i < batch; i++) {
    const item = output.data.subarray(i * channels * boxes, (i + 1) * channels * boxes);
    result.push(
      layout === 'yolov8'
        ? decodeV8(item, channels, boxes, confidence)
        : decodeV5(item, channels, boxes, confidence),
    );
  }
  return result;
}

function candidate(cx: number, cy: number, w: number, h: number, score: number, classId: number): Candidate {
  return { box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, classId };
}

/** Channel-major [4+nc, N]: scanned one class row at a time, which reads memory in order. */
function decodeV8(data: Float32Array, channels: number, boxes: number, confidence: number): Candidate[] {
  // Almost every score is background, under the threshold: each row is tested eight scores at a time, and only
  // a group with a score over it looks at its boxes' best so far. Boxes are built only for what passed.
  const best = new Float32Array(boxes);
  const bestClass = new Int32Array(boxes).fill(-1);
  const grouped = boxes - (boxes % 8);
  for (let k = 4; k < channels; k++) {
    const row = k * boxes;
    for (let j = 0; j < boxes; j += 8) {
      const r = row + j;
      if (
        j >= grouped ||
        (data[r] as number) > confidence ||
        (data[r + 1] as number) > confidence ||
        (data[r + 2] as number) > confidence ||
        (data[r + 3] as number) > confidence ||
        (data[r + 4] as number) > confidence ||
        (data[r + 5] as number) > confidence ||
        (data[r + 6] as number) > confidence ||
        (data[r + 7] as number) > confidence
      ) {
        for (let q = j, end = Math.min(j + 8, boxes); q < end; q++) {
          const s = data[row + q] as number;
          if (s > confidence && s > (best[q] as number)) {
            best[q] = s;
            bestClass[q] = k - 4;
          }
        }
      }
    }
  }
  const found: Candidate[] = [];
  for (let j = 0; j < boxes; j++) {
    const classId = bestClass[j] as number;
    if (classId < 0) continue;
    const cx = data[j] as number;
    const cy = data[boxes + j] as number;
    const w = data[2 * boxes + j] as number;
    const h = data[3 * boxes + j] as number;
    found.push(candidate(cx, cy, w, h, best[j] as number, classId));
  }
  return found;
}

/** Box-major [N, 5+nc]: objectness first, so most boxes are skipped before reading their classes. */
function decodeV5(data: Float32Array, channels: number, boxes: number, confidence: number): Candidate[] {
  const found: Candidate[] = [];
  for (let j = 0; j < boxes; j++) {
    const row = j * channels;
    const objectness = data[row + 4] as number;
    if (!(objectness > confidence)) continue;
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let k = 5; k < channels; k++) {
      const s = data[row + k] as number;
      if (s > bestScore) {
        bestScore = s;
        best = k - 5;
      }
    }
    const score = bestScore * objectness;
    if (!(score > confidence)) continue;
    found.push(
      candidate(
        data[row] as number,
        data[row + 1] as number,
        data[row + 2] as number,
        data[row + 3] as number,
        score,
        best,
      ),
    );
  }
  return found;
}

function decodeEndToEnd(output: OutputTensor, confidence: number): Candidate[][] {
  const [batch = 0, boxes = 0, width = 0] = output.dims;
  if (output.dims.length !== 3 || width !== 6 || output.data.length !== batch * boxes * 6) {
    throw new Error(`output shape [${output.dims}] does not fit the end2end layout [batch, boxes, 6]`);
  }
  const result: Candidate[][] = [];
  for (let i = 0; i < batch; i++) {
    const found: Candidate[] = [];
    for (let j = 0; j < boxes; j++) {
      const row = output.data.subarray((i * boxes + j) * 6, (i * boxes + j + 1) * 6);
      const [x1 = 0, y1 = 0, x2 = 0, y2 = 0, score = 0, classId = 0] = row;
      if (score > confidence) found.push({ box: [x1, y1, x2, y2], score, classId: Math.round(classId) });
    }
    result.push(found);
  }
  return result;
}

// Detections as columns: how detect and classify answer across the worker boundary. A few typed arrays are
// cloned as flat memory, where an array of objects is cloned field by field and rebuilt; the main thread then
// names the classes and builds the answer's objects once, for the one JSON.stringify of the response.
import type { Detection, PredictResult, RankedClass } from './types.js';

export interface DetectionColumns {
  /** x_min, y_min, x_max, y_max per detection, in whole pixels of the image as sent. */
  boxes: Int32Array;
  classIds: Int32Array;
  confidences: Float64Array;
  /** Classify: the rows are the ranked classes too (each box is the whole image). */
  ranked: boolean;
}

/** Columns for `n` detections, to fill with setDetection(). */
export function detectionColumns(n: number, ranked = false): DetectionColumns {
  return {
    boxes: new Int32Array(4 * n),
    classIds: new Int32Array(n),
    confidences: new Float64Array(n),
    ranked,
  };
}

export function setDetection(
  columns: DetectionColumns,
  i: number,
  box: readonly [number, number, number, number],
  classId: number,
  confidence: number,
): void {
  columns.boxes.set(box, 4 * i);
  columns.classIds[i] = classId;
  columns.confidences[i] = confidence;
}

/**
 * The detections of a result as the API answers them (and, for classify, the ranked classes): built from its
 * columns with the model's labels (`class_<id>` past their end), or OCR's own objects as they are.
 */
export function namedDetections(
  result: Pick<PredictResult, 'detections' | 'columns'>,
  labels: readonly string[] | undefined,
): { detections: Detection[]; classes?: RankedClass[] } {
  const { columns } = result;
  if (!columns) return { detections: result.detections };
  const { boxes, classIds, confidences } = columns;
  const classes: RankedClass[] = [];
  const detections: Detection[] = [];
  for (let i = 0; i < classIds.length; i++) {
    const classId = classIds[i] as number;
    const ranked: RankedClass = {
      class_id: classId,
      class_name: labels?.[classId] ?? `class_${classId}`,
      confidence: confidences[i] as number,
    };
    const k = 4 * i;
    const box = { x_min: boxes[k], y_min: boxes[k + 1], x_max: boxes[k + 2], y_max: boxes[k + 3] };
    detections.push({ ...(box as Pick<Detection, 'x_min' | 'y_min' | 'x_max' | 'y_max'>), ...ranked });
    classes.push(ranked);
  }
  return columns.ranked ? { detections, classes } : { detections };
}

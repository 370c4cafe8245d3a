// Confidence filtering in the page: the API is asked once with a low floor, and the slider only
// re-filters what came back, without another request.
import type { Detection, RankedClass } from './types.js';

/** The floor sent with every prediction, and the slider's minimum. */
export const CONFIDENCE_FLOOR = 0.05;

export interface Indexed<T> {
  /** Position in the API's response, stable across filtering (used to link table rows and outlines). */
  index: number;
  item: T;
}

/** Detections at or above the threshold, in the API's order, each with its original index. */
export function filterByConfidence(
  detections: readonly Detection[],
  threshold: number,
): Indexed<Detection>[] {
  const t = clampConfidence(threshold);
  const kept: Indexed<Detection>[] = [];
  detections.forEach((item, index) => {
    if (item.confidence >= t) kept.push({ index, item });
  });
  return kept;
}

/** Classes at or above the threshold, highest confidence first. */
export function rankClasses(classes: readonly RankedClass[], threshold: number): RankedClass[] {
  const t = clampConfidence(threshold);
  return classes.filter((c) => c.confidence >= t).sort((a, b) => b.confidence - a.confidence);
}

/** Keeps a threshold within [0, 1]; anything that is not a number counts as 0. */
export function clampConfidence(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.min(1, Math.max(0, value));
}

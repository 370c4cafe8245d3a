// Class-wise non-maximum suppression: a box is dropped when a stronger box of the same class overlaps it
// by more than the IoU threshold (torchvision's `batched_nms`, which ultralytics uses).

/** [x1, y1, x2, y2]. */
export type Box = [number, number, number, number];

export interface Candidate {
  box: Box;
  score: number;
  classId: number;
}

export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Keeps at most `maxDetections` boxes, strongest first. Boxes are only compared within their class. */
export function classWiseNms(
  candidates: readonly Candidate[],
  iouThreshold: number,
  maxDetections: number,
): Candidate[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  const keptByClass = new Map<number, Box[]>();
  for (const c of sorted) {
    if (kept.length >= maxDetections) break;
    const same = keptByClass.get(c.classId);
    if (same?.some((box) => iou(box, c.box) > iouThreshold)) continue;
    kept.push(c);
    if (same) same.push(c.box);
    else keptByClass.set(c.classId, [c.box]);
  }
  return kept;
}

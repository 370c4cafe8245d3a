// The OCR "text" view: the recognised lines in reading order, as plain text to read or copy.
import type { DetectionLike } from './types.js';

/**
 * Groups detections into lines (boxes whose vertical centres fall within half a line height of each other),
 * top to bottom, each line left to right, words joined by a space. Detections without text are skipped.
 */
export function readingOrder(detections: readonly DetectionLike[]): string {
  const boxes = detections
    .filter((d) => d.text)
    .map((d) => ({ text: d.text ?? '', x: d.x_min, y: (d.y_min + d.y_max) / 2, h: d.y_max - d.y_min }))
    .sort((a, b) => a.y - b.y || a.x - b.x);
  const lines: (typeof boxes)[] = [];
  for (const box of boxes) {
    const line = lines.at(-1);
    const first = line?.[0];
    if (line && first && Math.abs(box.y - first.y) <= Math.max(first.h, box.h) / 2) line.push(box);
    else lines.push([box]);
  }
  return lines
    .map((line) =>
      line
        .sort((a, b) => a.x - b.x)
        .map((b) => b.text)
        .join(' '),
    )
    .join('\n');
}

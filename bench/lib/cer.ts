// Text agreement: character error rate against the known text, spaces included.
import { distance } from 'fastest-levenshtein';

/**
 * Line breaks and runs of whitespace become one space, so the layout of lines does not count,
 * but a dropped or extra space between words does.
 */
export function normalizeText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export interface CerScore {
  /** Edits (insertions, deletions, substitutions) to turn the recognised text into the reference. */
  edits: number;
  /** Characters of the normalised reference. */
  length: number;
  /** edits / length; 0 is a perfect read. Can exceed 1 when the output is mostly invented. */
  cer: number;
}

export function characterErrorRate(recognised: string, reference: string): CerScore {
  const hyp = normalizeText(recognised);
  const ref = normalizeText(reference);
  const edits = distance(hyp, ref);
  const length = ref.length;
  return { edits, length, cer: length === 0 ? (edits === 0 ? 0 : 1) : edits / length };
}

/** Pooled over several images: total edits over total reference characters. */
export function pooledCer(scores: readonly CerScore[]): number {
  const edits = scores.reduce((sum, s) => sum + s.edits, 0);
  const length = scores.reduce((sum, s) => sum + s.length, 0);
  return length === 0 ? Number.NaN : edits / length;
}

export interface TextBox {
  text: string;
  x_min: number;
  y_min: number;
  x_max: number;
  y_max: number;
}

/**
 * Reading order for boxes from either engine: boxes whose vertical midlines are closer than half
 * the median box height form a line; lines top to bottom, boxes left to right, words joined by spaces.
 * Both engines' outputs go through this one function, so the comparison judges recognition, not ordering.
 */
export function readingOrderText(boxes: readonly TextBox[]): string {
  if (boxes.length === 0) return '';
  const heights = boxes.map((b) => b.y_max - b.y_min).sort((a, b) => a - b);
  const tolerance = (heights[Math.floor(heights.length / 2)] as number) / 2;
  const byMidline = [...boxes].sort((a, b) => a.y_min + a.y_max - (b.y_min + b.y_max));
  const lines: { midline: number; boxes: TextBox[] }[] = [];
  for (const box of byMidline) {
    const midline = (box.y_min + box.y_max) / 2;
    const line = lines.find((l) => Math.abs(l.midline - midline) <= tolerance);
    if (line) line.boxes.push(box);
    else lines.push({ midline, boxes: [box] });
  }
  return lines
    .map((l) =>
      l.boxes
        .sort((a, b) => a.x_min - b.x_min)
        .map((b) => b.text)
        .join(' '),
    )
    .join('\n');
}

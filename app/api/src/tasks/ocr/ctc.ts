// CTC greedy decoding of the recogniser's per-timestep class probabilities.

/**
 * Class labels: index 0 is the CTC blank, 1..N the dictionary's lines, then " " when the model was trained with
 * a space class (PaddleOCR `use_space_char`).
 */
export function parseDictionary(text: string, spaceChar: boolean): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return ['', ...lines, ...(spaceChar ? [' '] : [])];
}

export interface DecodedText {
  text: string;
  /** Mean of the winning probabilities of the characters kept (0 when none). */
  confidence: number;
}

/**
 * Decodes one sequence of `steps` × `classes` probabilities starting at `offset`: best class per step, repeats
 * merged, blanks dropped (PaddleOCR's CTCLabelDecode). Only the ends of the line are trimmed.
 *
 * `spaceThreshold` < 1: a step whose best class is the blank still reads as a space when the space class reaches
 * this probability. PP-OCRv4's recogniser, trained mostly on Chinese, puts 0.15-0.3 on the space between two
 * Latin words and the rest on the blank, so plain greedy decoding runs words together.
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  offset: number,
  steps: number,
  classes: number,
  labels: readonly string[],
  spaceThreshold = 1,
): DecodedText {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  const space = labels.at(-1) === ' ' ? labels.length - 1 : -1;
  for (let t = 0; t < steps; t++) {
    const base = offset + t * classes;
    let best = 0;
    let bestP = probs[base] as number;
    for (let c = 1; c < classes; c++) {
      const p = probs[base + c] as number;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best === 0 && space > 0 && (probs[base + space] as number) >= spaceThreshold) {
      best = space;
      bestP = probs[base + space] as number;
    }
    if (best !== 0 && best !== previous) {
      text += labels[best] ?? '';
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text: text.trim(), confidence: kept === 0 ? 0 : sum / kept };
}

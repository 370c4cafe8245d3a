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
 * merged, blanks dropped. Spaces are characters like any other; only the ends of the line are trimmed.
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  offset: number,
  steps: number,
  classes: number,
  labels: readonly string[],
): DecodedText {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
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
    if (best !== 0 && best !== previous) {
      text += labels[best] ?? '';
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text: text.trim(), confidence: kept === 0 ? 0 : sum / kept };
}

// Scores to ranked classes: softmax when the model gives logits (a sigmoid for a single logit), then the k best.

/** Numerically stable softmax (the max is subtracted before exponentiating). */
export function softmax(scores: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i] as number);
  const out = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    out[i] = Math.exp((scores[i] as number) - max);
    sum += out[i] as number;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/**
 * The model's scores as class probabilities, as the manifest's `output` says: logits get a softmax, or a sigmoid
 * when there is one (a binary classifier trained with BCEWithLogits: softmax over one value is always 1);
 * probabilities are used as they are, once checked to be 0..1. Throws on a score that means nothing (non-finite,
 * or a "probability" out of range), so the client gets an error instead of a confidence of null or 478 %.
 */
export function classProbabilities(
  scores: ArrayLike<number>,
  output: 'logits' | 'probabilities',
): ArrayLike<number> {
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i] as number;
    if (!Number.isFinite(v)) {
      throw new Error(`the model gave a non-finite score (${v}) for class ${i}: check its export`);
    }
    // A little slack for float rounding in the model's own softmax.
    if (output === 'probabilities' && !(v >= -PROBABILITY_SLACK && v <= 1 + PROBABILITY_SLACK)) {
      throw new Error(
        `model.json says "output": "probabilities" but the model gave ${v} for class ${i}: if the model ends ` +
          'without a softmax or sigmoid, set "output": "logits"',
      );
    }
  }
  if (output === 'probabilities') return scores;
  return scores.length === 1 ? [1 / (1 + Math.exp(-(scores[0] as number)))] : softmax(scores);
}

const PROBABILITY_SLACK = 1e-4;

/**
 * The ids of the `k` most probable classes at or above `minConfidence`, best first (ties: lower id first). One
 * pass keeping the best k in order: a class is compared with the k-th best only, unless it beats it (no sort of
 * every class).
 */
export function topK(probabilities: ArrayLike<number>, k: number, minConfidence: number): number[] {
  const ids: number[] = [];
  if (k < 1) return ids;
  const p = (id: number) => probabilities[id] as number;
  for (let i = 0; i < probabilities.length; i++) {
    const v = p(i);
    if (!(v >= minConfidence)) continue;
    if (ids.length === k && !(v > p(ids[k - 1] as number))) continue;
    // Shift the weaker ones down (the k-th falls off when full); equal scores stay ahead, lower ids first.
    let at = Math.min(ids.length, k - 1);
    while (at > 0 && v > p(ids[at - 1] as number)) {
      ids[at] = ids[at - 1] as number;
      at--;
    }
    ids[at] = i;
  }
  return ids;
}

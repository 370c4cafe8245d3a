// Scores to ranked classes: softmax when the model gives logits, then the k best.

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

/** The ids of the `k` most probable classes at or above `minConfidence`, best first (ties: lower id first). */
export function topK(probabilities: ArrayLike<number>, k: number, minConfidence: number): number[] {
  const ids = Array.from({ length: probabilities.length }, (_, i) => i).filter(
    (i) => (probabilities[i] as number) >= minConfidence,
  );
  ids.sort((a, b) => (probabilities[b] as number) - (probabilities[a] as number) || a - b);
  return ids.slice(0, k);
}

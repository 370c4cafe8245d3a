// Which classifier outputs modelship reads: one score per class, [batch, K] or [batch, K, 1, 1] (a network
// ending in a 1x1 convolution), or [K] from a fixed-batch-1 export that dropped the batch axis. Anything else
// (a segmentation map, a feature grid) would be read as thousands of "classes": refused at load.
import type { TensorSpec } from '../types.js';

/** The class count K the output states (undefined when dynamic); throws for an output that is no class list. */
export function classifierClassCount(output: TensorSpec, input: TensorSpec): number | undefined {
  const { shape } = output;
  const batchless = shape.length === 1 && input.shape[0] === 1;
  // A dynamic spatial size may come out 1x1: checkClassScores checks each run's.
  const unit = (d: number | undefined) => d === 1 || d === -1;
  if (!(batchless || shape.length === 2 || (shape.length === 4 && unit(shape[2]) && unit(shape[3])))) {
    throw new Error(
      `a classify model's output must be one score per class, [batch, K] or [batch, K, 1, 1]; output ` +
        `"${output.name}" has shape [${shape.map((d) => (d === -1 ? '?' : d))}]`,
    );
  }
  const k = batchless ? shape[0] : shape[1];
  return k === undefined || k < 0 ? undefined : k;
}

/** A run's output slice [1, K] or [1, K, 1, 1] (or [K]): refuses a dynamic spatial size that came out over 1x1. */
export function checkClassScores(dims: readonly number[]): void {
  if (dims.length === 4 && (dims[2] !== 1 || dims[3] !== 1)) {
    throw new Error(
      `the model's output has shape [${dims}]; a classify model must give [batch, K] or [batch, K, 1, 1]`,
    );
  }
}

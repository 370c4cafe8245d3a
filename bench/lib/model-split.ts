// Model time against everything else, per request: each /predict answer carries its stage timings, so the
// split is taken request by request and summarised as p50s (means from /metrics would hide the spread).
import type { PredictResponse } from './api-client.js';
import { median } from './stats.js';

export interface ModelSplit {
  /** The stages counted as the model's own run, e.g. ['inference'] or OCR's ['detection', 'recognition']. */
  modelStages: string[];
  /** p50 ms of the model stages. */
  modelP50: number;
  /** p50 ms of the rest of the server's time (`time` in the answer minus the model stages). */
  otherP50: number;
  /** p50 of each request's share of server time that is not the model, 0..1. */
  otherShareP50: number;
}

/** Wraps a predict call so that every answer's split is recorded; `summary()` once the run is over. */
export function splitRecorder(modelStages: readonly string[]) {
  const model: number[] = [];
  const other: number[] = [];
  const share: number[] = [];
  return {
    wrap(call: () => Promise<PredictResponse>): () => Promise<PredictResponse> {
      return async () => {
        const answer = await call();
        const total = answer.time * 1000;
        const modelMs = modelStages.reduce((sum, stage) => sum + (answer.timings?.[stage] ?? 0) * 1000, 0);
        model.push(modelMs);
        other.push(total - modelMs);
        share.push(total > 0 ? (total - modelMs) / total : 0);
        return answer;
      };
    },
    summary(): ModelSplit {
      return {
        modelStages: [...modelStages],
        modelP50: median(model),
        otherP50: median(other),
        otherShareP50: median(share),
      };
    },
  };
}

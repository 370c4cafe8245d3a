// Dynamic batching, as Triton's dynamic batcher does it: requests for one model that arrive within
// `maxBatchDelayMs` of the first waiting one are handed on together, up to `maxBatchSize`, so a GPU runs
// them as one stacked tensor instead of one at a time. A batch is dispatched as soon as it holds
// maxBatchSize requests, or maxBatchDelayMs after its first request arrived, whichever comes first.

import type { BatchPolicy } from '../contract.js';

export type { BatchPolicy } from '../contract.js';

interface Waiting<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export class DynamicBatcher<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The oldest waiting request has waited its maxBatchDelayMs, but every worker was busy. */
  private due = false;
  private running = 0;
  /** Batches dispatched and requests in them, for tests and operators. */
  readonly stats = { batches: 0, requests: 0, largest: 0 };

  /**
   * `dispatch` runs one batch and answers one output per item, in order. `workers` batches may run at once:
   * a batch whose delay is over while all of them are busy keeps gathering requests until one is free
   * (rather than queueing, small, behind them), so load forms larger batches and no worker sits idle.
   */
  constructor(
    readonly policy: BatchPolicy,
    private readonly dispatch: (items: I[]) => Promise<O[]>,
    private readonly workers = 1,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.waiting.length >= this.policy.maxBatchSize) this.flush();
      else if (!this.timer && !this.due)
        this.timer = setTimeout(() => this.onDelay(), this.policy.maxBatchDelayMs);
    });
  }

  private onDelay(): void {
    this.timer = undefined;
    if (this.running < this.workers) this.flush();
    else this.due = true;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.due = false;
    const batch = this.waiting.splice(0, this.policy.maxBatchSize);
    if (this.waiting.length > 0) this.timer = setTimeout(() => this.onDelay(), this.policy.maxBatchDelayMs);
    if (batch.length === 0) return;
    this.stats.batches += 1;
    this.stats.requests += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    this.running += 1;
    this.dispatch(batch.map((w) => w.item))
      .then(
        (outputs) => {
          batch.forEach((w, i) => {
            if (i < outputs.length) w.resolve(outputs[i] as O);
            else
              w.reject(
                new Error(`the batch answered ${outputs.length} results for ${batch.length} requests`),
              );
          });
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      )
      .finally(() => {
        this.running -= 1;
        if (this.due) this.flush();
      });
  }
}

// The dynamic batcher on its own: what goes into a batch and when, order of answers, and failures.
import { describe, expect, it } from 'vitest';
import { DynamicBatcher } from '../src/pool/dynamic-batcher.js';

/** A batcher whose dispatch records each batch and answers item × 10. */
function recording(maxBatchSize: number, maxBatchDelayMs: number) {
  const batches: number[][] = [];
  const batcher = new DynamicBatcher<number, number>({ maxBatchSize, maxBatchDelayMs }, async (items) => {
    batches.push(items);
    return items.map((x) => x * 10);
  });
  return { batcher, batches };
}

describe('DynamicBatcher', () => {
  it('dispatches a full batch at once, without waiting for the delay', async () => {
    const { batcher, batches } = recording(3, 60_000);
    const answers = await Promise.all([1, 2, 3].map((x) => batcher.submit(x)));
    expect(answers).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('dispatches what arrived within the delay as one batch, and splits at the maximum size', async () => {
    const { batcher, batches } = recording(4, 20);
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => batcher.submit(x)));
    expect(answers).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
    expect(batcher.stats).toEqual({ batches: 2, requests: 6, largest: 4 });
  });

  it('sends a lone request on its own once the delay is over', async () => {
    const { batcher, batches } = recording(8, 5);
    expect(await batcher.submit(7)).toBe(70);
    expect(await batcher.submit(8)).toBe(80);
    expect(batches).toEqual([[7], [8]]);
  });

  it('keeps gathering while every worker is busy, and sends what gathered when one is free', async () => {
    const batches: number[][] = [];
    let finishFirst = () => {};
    const firstDone = new Promise<void>((resolve) => {
      finishFirst = resolve;
    });
    const batcher = new DynamicBatcher<number, number>(
      { maxBatchSize: 8, maxBatchDelayMs: 1 },
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await firstDone;
        return items;
      },
      1,
    );
    const first = batcher.submit(1);
    await new Promise((r) => setTimeout(r, 20)); // the lone request went out after its delay
    const later = [2, 3, 4].map((x) => batcher.submit(x));
    await new Promise((r) => setTimeout(r, 20)); // their delay is over, but the one worker is busy
    expect(batches).toEqual([[1]]);
    finishFirst();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('fails every request of a batch whose dispatch fails, and keeps serving', async () => {
    let fail = true;
    const batcher = new DynamicBatcher<number, number>(
      { maxBatchSize: 2, maxBatchDelayMs: 1 },
      async (items) => {
        if (fail) throw new Error('worker died');
        return items;
      },
    );
    const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batcher.submit(3)).toBe(3);
  });

  it('rejects the requests a dispatch forgot to answer', async () => {
    const batcher = new DynamicBatcher<number, number>(
      { maxBatchSize: 2, maxBatchDelayMs: 1 },
      async (items) => items.slice(0, 1),
    );
    const [first, second] = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(first).toEqual({ status: 'fulfilled', value: 1 });
    expect(second).toMatchObject({ status: 'rejected', reason: { message: /1 results for 2 requests/ } });
  });
});

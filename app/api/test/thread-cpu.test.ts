import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { osThreadId, statCpuSeconds, threadCpuSeconds, threadGroup } from '../src/thread-cpu.js';

const linux = process.platform === 'linux';

describe('thread CPU from /proc', () => {
  it('reads utime + stime from a stat line whose thread name holds spaces and parentheses', () => {
    const line = '4242 (libvips (x) worker) S 1 2 3 0 -1 4194368 10 0 0 0 250 125 0 0 20 0 9 0 100 0 0';
    expect(statCpuSeconds(line)).toBe(3.75);
  });

  it.runIf(linux)(
    'names the main thread by the pid and a worker by its own id, counted in its group',
    async () => {
      expect(osThreadId()).toBe(process.pid);
      // A worker that does a fixed amount of CPU work (a tenth of a second or more, however busy the
      // machine), then reports its thread id and waits to be told to end.
      const worker = new Worker(
        `const { parentPort } = require('node:worker_threads');
       const { readlinkSync } = require('node:fs');
       let x = 0; for (let i = 0; i < 1e8; i++) x = (x + i) % 1000003;
       if (x < 0) throw new Error('unreachable');
       parentPort.postMessage(Number(readlinkSync('/proc/thread-self').split('/').pop()));
       parentPort.once('message', () => process.exit(0));`,
        { eval: true },
      );
      const tid = await new Promise<number>((resolve) => worker.once('message', resolve));
      try {
        expect(tid).not.toBe(process.pid);
        const seconds = threadCpuSeconds();
        expect(seconds?.get(tid)).toBeGreaterThanOrEqual(0.05);
        expect(seconds?.get(process.pid)).toBeGreaterThan(0);
        expect(threadGroup(tid, new Set([tid]))).toBe('inference');
        expect(threadGroup(process.pid, new Set([tid]))).toBe('main');
        expect(threadGroup(tid, new Set())).toBe('other');
      } finally {
        worker.postMessage('end');
        await new Promise((resolve) => worker.once('exit', resolve));
      }
      expect(threadCpuSeconds()?.has(tid)).toBe(false);
    },
  );
});

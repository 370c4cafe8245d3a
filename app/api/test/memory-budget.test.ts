import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import {
  apiMemoryMiB,
  chooseWorkers,
  MEMORY_BUDGET,
  parseMemoryLimit,
  readMemoryLimit,
  workersWithin,
} from '../src/memory-budget.js';
import { createRuntime } from '../src/runtime.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

describe('memory budget', () => {
  it('is the inverse of itself: the memory for N workers fits exactly N', () => {
    for (const n of [1, 2, 4, 6, 8, 16, 32]) {
      expect(workersWithin(apiMemoryMiB(n) * MIB)).toBe(n);
      expect(workersWithin(apiMemoryMiB(n) * MIB - 1)).toBe(n - 1);
    }
    expect(workersWithin(MEMORY_BUDGET.baseMiB * MIB)).toBe(0);
    expect(workersWithin(64 * MIB)).toBe(0);
  });

  it('fits the compose default (2g) with the 6 workers the last session measured at 1.47 GB', () => {
    expect(workersWithin(2 * GIB)).toBeGreaterThanOrEqual(6);
    expect(apiMemoryMiB(6) * MIB).toBeGreaterThan(1.47e9);
  });

  it.each([
    ['max\n', undefined],
    ['2147483648\n', 2 * GIB],
    ['9223372036854771712\n', undefined], // cgroup v1 without a limit
    ['0', undefined],
    ['', undefined],
    ['12abc', undefined],
  ])('parses the cgroup limit %j', (text, bytes) => {
    expect(parseMemoryLimit(text)).toBe(bytes);
  });

  describe('reads the first cgroup file that exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cgroup-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const v2 = join(dir, 'memory.max');
    const v1 = join(dir, 'memory.limit_in_bytes');

    it('v1 when v2 is absent, v2 first when both are there, none when neither is', () => {
      writeFileSync(v1, '1073741824\n');
      expect(readMemoryLimit([v2, v1])).toBe(GIB);
      writeFileSync(v2, 'max\n');
      expect(readMemoryLimit([v2, v1])).toBeUndefined();
      writeFileSync(v2, '536870912\n');
      expect(readMemoryLimit([v2, v1])).toBe(512 * MIB);
      expect(readMemoryLimit([join(dir, 'nope'), join(dir, 'nope2')])).toBeUndefined();
    });
  });
});

describe('WORKERS against the memory limit', () => {
  it('is one per core when there is no limit, or the limit fits them', () => {
    expect(chooseWorkers(undefined, { cores: 8, memoryLimitBytes: undefined })).toEqual({ workers: 8 });
    expect(chooseWorkers(undefined, { cores: 8, memoryLimitBytes: apiMemoryMiB(8) * MIB })).toEqual({
      workers: 8,
    });
  });

  it('defaults to the workers the limit allows on a machine with more cores, and says so', () => {
    const choice = chooseWorkers(undefined, { cores: 16, memoryLimitBytes: 2 * GIB });
    expect(choice.workers).toBe(workersWithin(2 * GIB));
    expect(choice.workers).toBeLessThan(16);
    expect(choice.notice?.level).toBe('info');
    expect(choice.notice?.message).toMatch(
      /WORKERS unset: 16 cores, but the memory limit 2\.0 GiB fits 6 worker/,
    );
    expect(choice.notice?.message).toMatch(/API_MEM_LIMIT/);
  });

  it('starts one worker, with a warning, when the limit fits none', () => {
    const choice = chooseWorkers(undefined, { cores: 4, memoryLimitBytes: 256 * MIB });
    expect(choice.workers).toBe(1);
    expect(choice.notice?.level).toBe('warn');
  });

  it('keeps a WORKERS set by hand, and warns when it does not fit', () => {
    expect(chooseWorkers(4, { cores: 2, memoryLimitBytes: 2 * GIB })).toEqual({ workers: 4 });
    const choice = chooseWorkers(12, { cores: 16, memoryLimitBytes: 2 * GIB });
    expect(choice.workers).toBe(12);
    expect(choice.notice?.level).toBe('warn');
    expect(choice.notice?.message).toMatch(
      /^WORKERS=12: 12 worker\(s\) need ~3\.4 GiB .* the memory limit is 2\.0 GiB/,
    );
  });

  it('goes through loadConfig, and QUEUE_SIZE follows the workers chosen', () => {
    const config = loadConfig({}, { cores: 16, memoryLimitBytes: 2 * GIB });
    expect(config.workers).toBe(6);
    expect(config.queueSize).toBe(24);
    expect(config.workersNotice?.level).toBe('info');
    expect(
      loadConfig({ WORKERS: '3' }, { cores: 16, memoryLimitBytes: 2 * GIB }).workersNotice,
    ).toBeUndefined();
  });

  it('starts the real runtime with the workers the limit allows, and logs why', async () => {
    const config = loadConfig(
      { LOG_LEVEL: 'info' },
      { cores: 4, memoryLimitBytes: apiMemoryMiB(1) * MIB + 10 * MIB },
    );
    const lines: string[] = [];
    const runtime = await createRuntime(
      config,
      createLogger(config.logLevel, { write: (l: string) => lines.push(l) }),
    );
    try {
      await runtime.pool.ready;
      expect(runtime.pool.workers).toBe(1);
      const notice = lines.map((l) => JSON.parse(l)).find((l) => /WORKERS unset/.test(l.message));
      expect(notice).toMatchObject({ level: 30 });
      expect(notice.message).toMatch(/4 cores, but the memory limit 650 MiB fits 1 worker/);
    } finally {
      await runtime.pool.close();
    }
  });
});

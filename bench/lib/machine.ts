// What the numbers were measured on.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, platform, release, totalmem } from 'node:os';
import type { Machine } from './results.js';

export function describeMachine(): Omit<Machine, 'loadAverage'> {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node/package.json') as { version: string };
  const cpuList = cpus();
  return {
    cores: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    memoryGiB: totalmem() / 2 ** 30,
    node: process.versions.node,
    platform: `${platform()} ${release()}`,
    onnxruntime: ort.version,
  };
}

/** The commit measured, with "+changes" when the work tree differs from it; null outside a git checkout. */
/** Busy and total CPU time of the whole machine so far, in seconds (summed over cores). */
function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    busy += all - times.idle;
    total += all;
  }
  return { busy: busy / 1000, total: total / 1000 };
}

/**
 * Starts counting; `stop()` gives the seconds elapsed, the machine's busy cores on average over them, and the CPU
 * seconds of this (the bench's) process, whose load generator shares the cores with the API.
 */
export function cpuMeter(): { stop(): { seconds: number; machineCores: number; selfSeconds: number } } {
  const before = machineTimes();
  const self = process.cpuUsage();
  const started = performance.now();
  return {
    stop() {
      const after = machineTimes();
      const seconds = (performance.now() - started) / 1000;
      const { user, system } = process.cpuUsage(self);
      return {
        seconds,
        machineCores: (after.busy - before.busy) / seconds,
        selfSeconds: (user + system) / 1e6,
      };
    },
  };
}

export function describeCommit(): string | null {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'app', 'models') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? '+changes' : ''}`;
  } catch {
    return null;
  }
}

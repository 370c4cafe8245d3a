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

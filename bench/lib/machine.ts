// What the numbers were measured on.
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

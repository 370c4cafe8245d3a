// How much memory the API needs for a number of inference workers, and how many workers a memory limit
// allows. Every worker thread holds its own onnxruntime sessions (and their arenas), so memory grows with
// WORKERS. The API (config.ts) sizes its default WORKERS by the container's limit, and the VM deployment
// (infra/vm/metadata.ts) sets that limit (API_MEM_LIMIT) from the workers it runs: one estimate for both.
import { readFileSync } from 'node:fs';

const MIB = 1024 * 1024;

/**
 * Resident memory of the API with the default OCR model, with headroom for large images. Measured by
 * `npm run bench` (bench/results/latest.md, "Cold start and memory"): ~680 MiB peak under load with 2
 * workers, ~1.47 GiB with 6, i.e. ~200 MiB per worker over a ~280 MiB base (Node, sharp, the HTTP server).
 */
export const MEMORY_BUDGET = { baseMiB: 384, perWorkerMiB: 256 } as const;

/** MiB the API needs with this many workers: what a container memory limit should allow. */
export const apiMemoryMiB = (workers: number): number =>
  MEMORY_BUDGET.baseMiB + workers * MEMORY_BUDGET.perWorkerMiB;

/** Workers that fit in `limitBytes` (0 when not even one does). */
export const workersWithin = (limitBytes: number): number =>
  Math.max(0, Math.floor((limitBytes / MIB - MEMORY_BUDGET.baseMiB) / MEMORY_BUDGET.perWorkerMiB));

/** `2.0 GiB`, `512 MiB`: a size for log lines. */
export function formatBytes(bytes: number): string {
  return bytes >= 1024 * MIB ? `${(bytes / (1024 * MIB)).toFixed(1)} GiB` : `${Math.round(bytes / MIB)} MiB`;
}

// cgroup v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages), not as `max`.
const NO_LIMIT_V1 = 2 ** 60;

/** A cgroup memory limit file's content in bytes; undefined for `max` (no limit) or anything unreadable. */
export function parseMemoryLimit(text: string): number | undefined {
  const value = text.trim();
  if (!/^\d+$/.test(value)) return undefined;
  const bytes = Number(value);
  return bytes > 0 && bytes < NO_LIMIT_V1 ? bytes : undefined;
}

/** Where Linux exposes this process's cgroup memory limit: v2 (Docker on current hosts), then v1. */
export const CGROUP_MEMORY_LIMIT_FILES = [
  '/sys/fs/cgroup/memory.max',
  '/sys/fs/cgroup/memory/memory.limit_in_bytes',
] as const;

/** The memory limit of the container (cgroup) this process runs in, in bytes; undefined when there is none. */
export function readMemoryLimit(files: readonly string[] = CGROUP_MEMORY_LIMIT_FILES): number | undefined {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // not this cgroup version, or not Linux
    }
    return parseMemoryLimit(text);
  }
  return undefined;
}

/** What the process runs on: its usable cores and its memory limit (undefined: none). */
export interface HostResources {
  cores: number;
  memoryLimitBytes: number | undefined;
}

export interface WorkersChoice {
  workers: number;
  /** A line for the start-up log when the limit changed the default, or the setting does not fit it. */
  notice?: { level: 'info' | 'warn'; message: string };
}

/**
 * WORKERS as set, or one per core as far as the memory limit allows. A WORKERS set by hand is kept (a model
 * smaller than the default OCR one needs less memory than the estimate) but warned about when it does not fit.
 */
export function chooseWorkers(requested: number | undefined, host: HostResources): WorkersChoice {
  const limit = host.memoryLimitBytes;
  const fit = limit === undefined ? Number.POSITIVE_INFINITY : workersWithin(limit);
  const estimate = (n: number) =>
    `${n} worker(s) need ~${formatBytes(apiMemoryMiB(n) * MIB)} (${MEMORY_BUDGET.baseMiB} MiB + ${MEMORY_BUDGET.perWorkerMiB} MiB per worker)`;
  if (requested !== undefined) {
    if (limit === undefined || requested <= fit) return { workers: requested };
    return {
      workers: requested,
      notice: {
        level: 'warn',
        message: `WORKERS=${requested}: ${estimate(requested)} but the memory limit is ${formatBytes(limit)}; the API may be killed for lack of memory under load. Lower WORKERS or raise the limit (API_MEM_LIMIT in compose)`,
      },
    };
  }
  if (limit === undefined || host.cores <= fit) return { workers: host.cores };
  const workers = Math.max(1, fit);
  return {
    workers,
    notice: {
      level: fit < 1 ? 'warn' : 'info',
      message: `WORKERS unset: ${host.cores} cores, but the memory limit ${formatBytes(limit)} fits ${fit} worker(s) (${estimate(host.cores)}); starting ${workers}. Raise the limit (API_MEM_LIMIT in compose) to use every core, or set WORKERS`,
    },
  };
}

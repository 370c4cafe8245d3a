// The images' health check, read from the Dockerfile that defines it (its HEALTHCHECK and the HEALTH_PATH each
// image sets for deploy/healthcheck.mjs), so that what Cloud Run probes is the same fact Docker, compose and the
// VM's rollout use, not a copy of it.
import { readFileSync } from 'node:fs';

export interface ImageHealth {
  /** The path deploy/healthcheck.mjs asks for (the image's HEALTH_PATH). */
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  startPeriodSeconds: number;
  retries: number;
}

interface Stage {
  base: string;
  lines: string[];
}

/** Docker's duration flags as this Dockerfile writes them: whole seconds (`10s`) or minutes (`5m`). */
function seconds(value: string, what: string): number {
  const match = /^(\d+)(s|m)$/.exec(value);
  if (!match) throw new Error(`Dockerfile HEALTHCHECK ${what}: expected a duration like 10s, got "${value}"`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
}

function stages(dockerfile: string): Map<string, Stage> {
  const found = new Map<string, Stage>();
  let current: Stage | undefined;
  for (const line of dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = { base: from[1] ?? '', lines: [] };
      if (from[2]) found.set(from[2], current);
    } else if (current && line.trim() && !line.trimStart().startsWith('#')) {
      current.lines.push(line.trim());
    }
  }
  return found;
}

/** The health check of `target` (a stage name), following its FROM chain as Docker does (the last one wins). */
export function imageHealth(dockerfile: string, target: string): ImageHealth {
  const all = stages(dockerfile);
  const chain: Stage[] = [];
  for (let name: string | undefined = target; name && all.has(name); name = all.get(name)?.base) {
    chain.unshift(all.get(name) as Stage);
  }
  if (chain.length === 0) throw new Error(`Dockerfile: no stage named ${target}`);
  const lines = chain.flatMap((stage) => stage.lines);
  const check = lines.filter((line) => /^HEALTHCHECK\s/i.test(line)).at(-1);
  const path = lines
    .filter((line) => /^ENV\s/i.test(line))
    .flatMap((line) => [...line.matchAll(/\bHEALTH_PATH=(\S+)/g)].map((m) => m[1] ?? ''))
    .at(-1);
  if (!check || !path) throw new Error(`Dockerfile: stage ${target} has no HEALTHCHECK or no HEALTH_PATH`);
  const flag = (name: string, fallback: string) =>
    new RegExp(`--${name}=(\\S+)`).exec(check)?.[1] ?? fallback;
  // Docker's defaults where a flag is left out.
  return {
    path,
    intervalSeconds: seconds(flag('interval', '30s'), 'interval'),
    timeoutSeconds: seconds(flag('timeout', '30s'), 'timeout'),
    startPeriodSeconds: seconds(flag('start-period', '0s'), 'start-period'),
    retries: Number(flag('retries', '3')),
  };
}

/** The repository's Dockerfile (infra/ sits one level below the root). */
export const DOCKERFILE = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');

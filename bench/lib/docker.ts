// Container figures, when a Docker engine answers: start → ready/healthy, and image sizes with the
// layers the project adds on top of its base image.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { ImageSize } from './results.js';

const exec = promisify(execFile);

async function docker(args: string[], timeoutMs = 30_000): Promise<string> {
  const { stdout } = await exec('docker', args, { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 });
  return stdout.trim();
}

/** Undefined when the engine answers, else the reason it doesn't. */
export async function dockerUnavailable(): Promise<string | undefined> {
  try {
    await docker(['info', '--format', '{{.ServerVersion}}'], 10_000);
    return undefined;
  } catch {
    return 'no Docker engine';
  }
}

export async function imageExists(image: string): Promise<boolean> {
  try {
    await docker(['image', 'inspect', '--format', '{{.Id}}', image]);
    return true;
  } catch {
    return false;
  }
}

interface ImageFacts {
  size: number;
  layers: string[];
  /** `docker history`, newest first: size in bytes and the instruction. */
  history: { size: number; createdBy: string }[];
}

async function imageFacts(image: string): Promise<ImageFacts> {
  const [size, layers] = (
    await docker(['image', 'inspect', '--format', '{{.Size}}\t{{json .RootFS.Layers}}', image])
  ).split('\t');
  const history = (
    await docker(['history', '--no-trunc', '--human=false', '--format', '{{.Size}}\t{{.CreatedBy}}', image])
  )
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [bytes, ...rest] = line.split('\t');
      return { size: Number(bytes), createdBy: rest.join('\t') };
    });
  return { size: Number(size), layers: JSON.parse(layers ?? '[]') as string[], history };
}

/** The candidate whose layer list is the longest prefix of the image's, i.e. the image's real base. */
export function findBase(
  imageLayers: readonly string[],
  candidates: ReadonlyMap<string, readonly string[]>,
): string | null {
  let best: { name: string; length: number } | null = null;
  for (const [name, layers] of candidates) {
    const isPrefix =
      layers.length > 0 &&
      layers.length <= imageLayers.length &&
      layers.every((l, i) => imageLayers[i] === l);
    if (isPrefix && (best === null || layers.length > best.length)) best = { name, length: layers.length };
  }
  return best?.name ?? null;
}

/** History entries the image adds on top of its base (history is newest first), without empty ones. */
export function addedLayers(
  imageHistory: readonly { size: number; createdBy: string }[],
  baseHistoryLength: number,
): { sizeMB: number; createdBy: string }[] {
  return imageHistory
    .slice(0, Math.max(0, imageHistory.length - baseHistoryLength))
    .filter((h) => h.size > 0)
    .map((h) => ({
      sizeMB: h.size / 1e6,
      createdBy: h.createdBy.replace(/^\/bin\/sh -c (#\(nop\) )?/, '').trim(),
    }));
}

export async function imageSize(image: string, baseCandidates: readonly string[]): Promise<ImageSize> {
  const facts = await imageFacts(image);
  const bases = new Map<string, ImageFacts>();
  for (const candidate of baseCandidates) {
    if (await imageExists(candidate)) bases.set(candidate, await imageFacts(candidate));
  }
  const base = findBase(facts.layers, new Map([...bases].map(([name, f]) => [name, f.layers])));
  const baseFacts = base === null ? undefined : bases.get(base);
  return {
    image,
    totalMB: facts.size / 1e6,
    base,
    addedMB: baseFacts ? (facts.size - baseFacts.size) / 1e6 : null,
    layers: baseFacts ? addedLayers(facts.history, baseFacts.history.length) : [],
  };
}

export interface ContainerStartup {
  startToReadyMs: number;
  /** Null when the image declares no HEALTHCHECK. */
  startToHealthyMs: number | null;
}

/**
 * `docker create`, then times `docker start` until GET /ready answers 200 through the published port,
 * and until Docker itself reports the container healthy. The container is removed afterwards.
 */
export async function timeContainerStart(
  image: string,
  containerPort: number,
  timeoutMs = 120_000,
): Promise<ContainerStartup> {
  const name = `modelship-bench-${process.pid}-${Date.now()}`;
  await docker(['create', '--name', name, '-p', `127.0.0.1::${containerPort}`, image]);
  try {
    const started = performance.now();
    await docker(['start', name]);
    const port = (await docker(['port', name, String(containerPort)])).split('\n')[0]?.split(':').pop();
    const deadline = started + timeoutMs;
    // Two independent loops: `docker inspect` takes a while on a busy machine, and must not delay noticing
    // the first 200 from /ready, which is polled every 20 ms.
    const poll = async <T>(
      check: () => Promise<T | undefined>,
      intervalMs: number,
    ): Promise<T | undefined> => {
      while (performance.now() < deadline) {
        const value = await check();
        if (value !== undefined) return value;
        await sleep(intervalMs);
      }
      return undefined;
    };
    const [ready, healthy] = await Promise.all([
      poll(async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/ready`);
          await res.arrayBuffer();
          return res.status === 200 ? performance.now() - started : undefined;
        } catch {
          return undefined; // not listening yet
        }
      }, 20),
      poll(async (): Promise<number | null | undefined> => {
        const status = await docker([
          'inspect',
          '--format',
          '{{if .State.Health}}{{.State.Health.Status}}{{end}}',
          name,
        ]);
        if (status === '') return null;
        if (status === 'unhealthy') throw new Error(`${image} became unhealthy`);
        return status === 'healthy' ? performance.now() - started : undefined;
      }, 100),
    ]);
    if (ready === undefined || healthy === undefined)
      throw new Error(`${image} was not ready within ${timeoutMs} ms`);
    return { startToReadyMs: ready, startToHealthyMs: healthy };
  } finally {
    await docker(['rm', '-f', name]).catch(() => undefined);
  }
}

// Starts the built API (app/api/dist/server.js) as a child process on a free port and times it to /ready.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../test/helpers/free-port.js';

export const API_ENTRY = 'app/api/dist/server.js';

/**
 * The environment the API's own launchers give it (app/api/launch-env.json, next to the dist/ of `entry`), so
 * that the bench measures the API as `npm start` and the images run it; a commit that has no such file has none.
 */
export function launchEnv(entry: string): Record<string, string> {
  const file = join(dirname(entry), '..', 'launch-env.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
}

export interface ApiProcess {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first 200 from /ready. */
  coldStartMs: number;
  stop(): Promise<void>;
}

export async function startApi(
  env: Record<string, string>,
  { timeoutMs = 120_000, entry = API_ENTRY }: { timeoutMs?: number; entry?: string } = {},
): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, [entry], {
    env: {
      ...launchEnv(entry),
      ...process.env,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The tail of its output, to explain a failed start (the API logs JSON lines to stdout).
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = () => stopChild(child);
  try {
    await waitReady(url, child, timeoutMs);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- API output ---\n${output}`);
  }
  return { url, pid: child.pid as number, coldStartMs: performance.now() - started, stop };
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the API exited with code ${child.exitCode} before /ready`);
    try {
      const res = await fetch(`${url}/ready`);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(10);
  }
  throw new Error(`the API was not ready within ${timeoutMs} ms`);
}

/** SIGTERM (the API drains), then SIGKILL if it lingers. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

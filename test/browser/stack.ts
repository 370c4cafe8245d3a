// Starts the real API and UI servers (built output) as child processes on free ports, and a headless
// Chromium from Debian, for the browser suite.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type BrowserContextOptions, chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../helpers/free-port.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const RESULTS = join(ROOT, 'test-results', 'browser');
const API_ENTRY = join(ROOT, 'app/api/dist/server.js');
const UI_ENTRY = join(ROOT, 'app/ui/dist/server/server.js');

export interface Service {
  url: string;
  pid: number;
  output: () => string;
  stop(): Promise<void>;
}

export interface Spawned {
  child: ChildProcess;
  /** The tail of its stdout and stderr, to explain a failure. */
  output: () => string;
  exited: Promise<number | null>;
}

/** `node <args>` from the repository root, its output kept for error messages. */
export const spawnNode = (args: string[], env: Record<string, string | undefined>) =>
  spawnCommand(process.execPath, args, env);

/** `<command> <args>` from the repository root, its output kept for error messages. */
export function spawnCommand(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
): Spawned {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => log, exited };
}

/** Polls `url` until it answers 2xx; fails at once if the process exits. */
export async function waitFor(url: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited (${child.exitCode})\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms\n${output()}`);
}

async function start(
  entry: string,
  env: Record<string, string>,
  readyPath: string | undefined,
  timeoutMs: number,
  port?: number,
) {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  port ??= await freePort();
  const { child, output, exited } = spawnNode([entry], { HOST: '127.0.0.1', ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    if (readyPath !== undefined) await waitFor(`${url}${readyPath}`, child, output, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, pid: child.pid as number, output, stop };
}

export interface StartApiOptions {
  env?: Record<string, string>;
  /** A fixed port (to restart the API where the UI expects it); a free one by default. */
  port?: number;
  /** Resolve as soon as the process is spawned, without waiting for /ready. */
  noWait?: boolean;
}

/** The API from app/api/dist, answering once its models are warmed up. */
export function startApi(options: StartApiOptions = {}): Promise<Service> {
  const env = { LOG_LEVEL: 'warn', ...options.env };
  return start(API_ENTRY, env, options.noWait ? undefined : '/ready', 150_000, options.port);
}

/** The UI server from app/ui/dist, in front of `apiUrl`. */
export function startUi(apiUrl: string, env: Record<string, string> = {}): Promise<Service> {
  return start(UI_ENTRY, { API_URL: apiUrl, ...env }, '/healthz', 20_000);
}

/** The API and the UI in front of it, started once for a test file (beforeAll) and stopped after it. */
export function stackForSuite(): { readonly api: Service; readonly ui: Service } {
  const stack: { api?: Service; ui?: Service } = {};
  beforeAll(async () => {
    await mkdir(RESULTS, { recursive: true });
    stack.api = await startApi();
    stack.ui = await startUi(stack.api.url);
  });
  afterAll(async () => {
    await stack.ui?.stop();
    await stack.api?.stop();
  });
  const started = (service: Service | undefined) => {
    if (!service) throw new Error('the stack is not started: use it inside a test or a beforeAll');
    return service;
  };
  return {
    get api() {
      return started(stack.api);
    },
    get ui() {
      return started(stack.ui);
    },
  };
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile. */
export async function openBrowser(options: BrowserContextOptions): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'modelship-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    acceptDownloads: true,
    ...options,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

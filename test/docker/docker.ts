// Small helpers for driving a real Docker engine and docker compose from the engine suite.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { PIN_FILES, readPins } from '../../infra/image-pins.js';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command and returns its stdout; a failure names the command and ends with its output. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 256 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-60).join('\n');
        reject(
          new Error(`${command} ${args.join(' ')} failed (${error.message.split('\n')[0]}):\n${output}`),
        );
      },
    );
  });
}

export const docker = (...args: string[]) => run('docker', args);

/**
 * The local stand-ins for the pinned base images: their tags without the digests (which this engine cannot
 * pull), as the variables that replace the pins (infra/image-pins.ts).
 */
export function standInImages(repo: string): Record<string, string> {
  const pins = PIN_FILES.flatMap((file) => readPins(readFileSync(join(repo, file), 'utf8')));
  return Object.fromEntries(pins.map((pin) => [pin.variable, pin.image]));
}

/** `--build-arg NAME=tag` for each stand-in the Dockerfile reads. */
export const standInBuildArgs = (repo: string) => {
  const { NODE_IMAGE = '' } = standInImages(repo);
  return ['--build-arg', `NODE_IMAGE=${NODE_IMAGE}`];
};

// Variables the compose files read: the suite sets its own and never inherits the caller's.
const COMPOSE_VARIABLES = [
  'API_IMAGE',
  'UI_IMAGE',
  'CADDY_IMAGE',
  'NODE_IMAGE',
  'CUDA_IMAGE',
  'UI_PORT',
  'UI_BIND',
  'API_PORT',
  'API_BIND',
  'HTTP_PORT',
  'HTTPS_PORT',
  'SITE_ADDRESS',
  'BASIC_AUTH_USER',
  'BASIC_AUTH_HASH',
  'APP_VERSION',
  'UI_VERSION',
  'GIT_REVISION',
  'WORKERS',
  'QUEUE_SIZE',
  'ORT_PROVIDERS',
  'BODY_LIMIT_MB',
  'MAX_PIXELS',
  'MAX_SIDE',
  'LOG_LEVEL',
  'SHUTDOWN_TIMEOUT',
  'LOG_MAX_SIZE',
  'LOG_MAX_FILE',
  'COMPOSE_FILE',
  'COMPOSE_PROJECT_NAME',
];

/** `docker compose -p <project> -f ... <args>` in `dir`, with exactly the given compose variables. */
export function compose(
  project: { name: string; dir: string; files: string[] },
  env: Record<string, string>,
  args: string[],
): Promise<string> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !COMPOSE_VARIABLES.includes(key)),
  );
  const files = project.files.flatMap((file) => ['-f', file]);
  return run('docker', ['compose', '-p', project.name, ...files, ...args], {
    cwd: project.dir,
    env: { ...base, ...env },
  });
}

/** Polls `check` until it returns a value other than undefined; the error says what was awaited. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface ContainerState {
  status: string;
  health: string | undefined;
  restartCount: number;
  user: string;
}

export async function containerState(id: string): Promise<ContainerState> {
  const [info] = JSON.parse(await docker('inspect', id)) as {
    State: { Status: string; Health?: { Status: string } };
    RestartCount: number;
    Config: { User: string };
  }[];
  if (!info) throw new Error(`no container ${id}`);
  return {
    status: info.State.Status,
    health: info.State.Health?.Status,
    restartCount: info.RestartCount,
    user: info.Config.User,
  };
}

/** Bytes an image adds on top of its base image, after checking that the base's layers are its first ones. */
export async function addedBytes(image: string, base: string): Promise<number> {
  const inspect = async (ref: string) =>
    (
      JSON.parse(await docker('image', 'inspect', ref)) as { Size: number; RootFS: { Layers: string[] } }[]
    )[0];
  const [top, bottom] = await Promise.all([inspect(image), inspect(base)]);
  if (!top || !bottom) throw new Error(`cannot inspect ${image} or ${base}`);
  const prefix = top.RootFS.Layers.slice(0, bottom.RootFS.Layers.length);
  if (JSON.stringify(prefix) !== JSON.stringify(bottom.RootFS.Layers)) {
    throw new Error(`${image} is not built on the local ${base}`);
  }
  return top.Size - bottom.Size;
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET https://<host>:<port><path> on 127.0.0.1, trusting only `ca`, with SNI and Host set to `host`. */
export function httpsGet(
  host: string,
  port: number,
  path: string,
  ca: string,
  headers: Record<string, string> = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        servername: host,
        ca,
        headers: { host: `${host}:${port}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`https://${host}:${port}${path}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

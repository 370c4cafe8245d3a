// `npm start` as the README gives it (scripts/start.mjs over the built servers, which this suite builds first):
// both services on the chosen ports, Ctrl-C, a port already taken, and a service that fails.
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { ROOT, type Spawned, spawnCommand, spawnNode, waitFor } from './stack.js';

const npmStart = (env: Record<string, string>) => spawnNode(['scripts/start.mjs'], env);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `npm start` itself, through npm and its `sh -c`, as a terminal or an IDE runs it. */
const spawnNpmStart = (env: Record<string, string>) =>
  spawnCommand(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['start'], env);

/** Resolves once the process has printed `text`; rejects if it exits first. */
async function untilOutput(spawned: Spawned, text: string): Promise<void> {
  let exited = false;
  void spawned.exited.then(() => {
    exited = true;
  });
  while (!spawned.output().includes(text)) {
    if (exited) throw new Error(`exited before printing "${text}"\n${spawned.output()}`);
    await sleep(100);
  }
}

async function within<T>(what: string, promise: Promise<T>, ms: number, output: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms\n${output()}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const isFree = (port: number) =>
  occupy(port).then(
    (server) => new Promise<boolean>((resolve) => server.close(() => resolve(true))),
    () => false,
  );

describe('npm start', () => {
  it('serves the page and the model on API_PORT and UI_PORT, and Ctrl-C stops both with exit 0', async () => {
    const [apiPort, uiPort] = [await freePort(), await freePort()];
    // API_HOST empty, as a .env line `API_HOST=` leaves it: unset, so the API stays on loopback.
    const started = npmStart({ API_PORT: String(apiPort), UI_PORT: String(uiPort), API_HOST: '' });
    try {
      await waitFor(`http://127.0.0.1:${uiPort}/api/ready`, started.child, started.output, 60_000);
      expect(started.output()).toContain(`listening on http://127.0.0.1:${apiPort}`);
      await within('the ready line', untilOutput(started, 'ready: open'), 10_000, started.output);
      expect(started.output()).toContain(`ui  → http://localhost:${uiPort}`);
      // One plain line once the model is warm, after the addresses, and no probe noise in the log.
      const lines = started.output().split('\n');
      const ready = lines.indexOf(`modelship: ready: open http://localhost:${uiPort}`);
      expect(ready).toBeGreaterThan(lines.findIndex((l) => l.includes('ready: models warmed up')));
      expect(started.output()).not.toMatch(/"requestUrl":"\/ready"/);

      const page = await fetch(`http://127.0.0.1:${uiPort}/`);
      expect(await page.text()).toContain('<title>modelship');
      const receipt = await readFile(join(ROOT, 'app/ui/web/samples/receipt.png'));
      const predicted = await fetch(`http://127.0.0.1:${uiPort}/api/v1/models/ocr/predict`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: receipt,
      });
      expect(predicted.status).toBe(200);
      const body = (await predicted.json()) as { detections: { text?: string }[] };
      expect(body.detections.map((d) => d.text)).toContain('TOTAL');
      // The API itself listens on loopback, on its own port.
      expect((await fetch(`http://127.0.0.1:${apiPort}/health`)).status).toBe(200);
    } finally {
      started.child.kill('SIGINT');
    }
    expect(await within('stopping', started.exited, 20_000, started.output)).toBe(0);
    expect(await isFree(apiPort)).toBe(true);
    expect(await isFree(uiPort)).toBe(true);
  });

  // IDE stop buttons and `kill $!` signal npm alone; npm runs the script through `sh -c`.
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`leaves no server behind when npm itself gets ${signal}`, async () => {
      const [apiPort, uiPort] = [await freePort(), await freePort()];
      const npm = spawnNpmStart({ API_PORT: String(apiPort), UI_PORT: String(uiPort) });
      try {
        await within('the ready line', untilOutput(npm, 'ready: open'), 90_000, npm.output);
      } finally {
        npm.child.kill(signal);
      }
      await within('npm exiting', npm.exited, 20_000, npm.output);
      for (let i = 0; i < 80 && !((await isFree(apiPort)) && (await isFree(uiPort))); i++) await sleep(250);
      expect(await isFree(apiPort), npm.output()).toBe(true);
      expect(await isFree(uiPort), npm.output()).toBe(true);
    });
  }

  it('checks the ports before building anything', async () => {
    const [apiPort, uiPort] = [await freePort(), await freePort()];
    const taken = await occupy(uiPort);
    const stamp = join(ROOT, 'app/api/dist/.inputs-sha256');
    const before = await readFile(stamp, 'utf8');
    await writeFile(stamp, 'stale'); // would make start.mjs rebuild the API
    try {
      const started = npmStart({ API_PORT: String(apiPort), UI_PORT: String(uiPort) });
      expect(await within('the refusal', started.exited, 10_000, started.output)).toBe(1);
      expect(started.output()).toContain(`port ${uiPort} (ui) is in use by another program`);
      expect(started.output()).not.toContain('building');
    } finally {
      await writeFile(stamp, before);
      taken.close();
    }
  });

  it('skips the build when no source changed', async () => {
    const [apiPort, uiPort] = [await freePort(), await freePort()];
    const started = npmStart({ API_PORT: String(apiPort), UI_PORT: String(uiPort) });
    try {
      await within('the ready line', untilOutput(started, 'ready: open'), 60_000, started.output);
      expect(started.output()).not.toContain('building');
    } finally {
      started.child.kill('SIGINT');
    }
    expect(await within('stopping', started.exited, 20_000, started.output)).toBe(0);
  });

  it('says which port is taken and how to choose others, and starts nothing', async () => {
    const [apiPort, uiPort] = [await freePort(), await freePort()];
    const taken = await occupy(apiPort);
    try {
      const started = npmStart({ API_PORT: String(apiPort), UI_PORT: String(uiPort) });
      expect(await within('the refusal', started.exited, 10_000, started.output)).toBe(1);
      expect(started.output()).toContain(`port ${apiPort} (api) is in use by another program`);
      expect(started.output()).toContain('API_PORT=8100 UI_PORT=8600 npm start');
      expect(await isFree(uiPort)).toBe(true);
    } finally {
      taken.close();
    }
  });

  it('refuses a port setting that is no port, or the same port twice, in one line naming the variable', async () => {
    const port = String(await freePort());
    for (const [env, line] of [
      [{ API_PORT: 'abc' }, 'modelship: API_PORT="abc" is not a port: give a number from 1 to 65535'],
      [{ UI_PORT: '70000' }, 'modelship: UI_PORT="70000" is not a port: give a number from 1 to 65535'],
      [
        { API_PORT: port, UI_PORT: port },
        `modelship: API_PORT and UI_PORT are both ${port}: give them different ports`,
      ],
    ] as const) {
      const started = npmStart(env);
      expect(await within('the refusal', started.exited, 10_000, started.output)).toBe(1);
      expect(started.output().trim()).toBe(line);
    }
  });

  it('stops the other service and exits non-zero when one fails', async () => {
    const [apiPort, uiPort] = [await freePort(), await freePort()];
    const started = npmStart({
      API_PORT: String(apiPort),
      UI_PORT: String(uiPort),
      MODELS_DIR: join(ROOT, 'no-such-models-dir'),
    });
    const code = await within('the exit', started.exited, 30_000, started.output);
    expect(code).not.toBe(0);
    expect(started.output()).toMatch(/api exited \(\d+\); stopping/);
    expect(await isFree(uiPort)).toBe(true);
  });

  it('has each server, run alone, say in one line that its port is taken (no stack trace)', async () => {
    for (const entry of ['app/api/dist/server.js', 'app/ui/dist/server/server.js']) {
      const port = await freePort();
      const taken = await occupy(port);
      try {
        const server = spawnNode([entry], { HOST: '127.0.0.1', PORT: String(port) });
        const code = await within(entry, server.exited, 30_000, server.output);
        expect(code, entry).toBe(1);
        expect(server.output(), entry).toContain(`cannot listen on 127.0.0.1:${port}`);
        expect(server.output(), entry).toContain('another program uses this port: stop it, or set PORT');
        expect(server.output(), entry).not.toMatch(/\n\s+at /);
      } finally {
        taken.close();
      }
    }
  });
});

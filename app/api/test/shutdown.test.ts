// Graceful shutdown of the real server process: SIGTERM while a prediction runs lets it finish, then exit 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { textFixture } from '../../../test/fixtures/text-images.js';
import { expectLines } from './helpers/api-runtime.js';

const apiDir = fileURLToPath(new URL('..', import.meta.url));
let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `src/server.ts` on a free port; resolves with its URL once /ready answers 200. */
async function startServer(env: Record<string, string>) {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: apiDir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', WORKERS: '1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  proc.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
        lines.push(line);
        if (typeof line.port === 'number') resolve(line.port);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
    proc.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  while ((await fetch(`${url}/ready`)).status !== 200) await new Promise((r) => setTimeout(r, 200));
  return { proc, url, lines };
}

describe('graceful shutdown', () => {
  it('finishes the request in flight after SIGTERM, refuses new work, and exits 0', async () => {
    const { proc, url, lines } = await startServer({ APP_VERSION: '9.9.9-shutdown' });
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ version: '9.9.9-shutdown' });

    const paragraph = await textFixture('paragraph');
    const inFlight = fetch(`${url}/v1/models/ocr/predict`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/png' },
      body: paragraph.png,
    });
    let answered = false;
    void inFlight.then(() => {
      answered = true;
    });
    // Wait until the server has admitted the prediction, then ask it to stop.
    while (!/^modelship_inflight_requests 1$/m.test(await (await fetch(`${url}/metrics`)).text())) {
      expect(answered, 'the prediction finished before SIGTERM could be sent').toBe(false);
      await new Promise((r) => setTimeout(r, 20));
    }
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');

    const res = await inFlight;
    expect(res.status).toBe(200);
    expectLines(await res.json(), paragraph.lines);

    const [code] = await exited;
    expect(code).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['shutting down: finishing requests in flight', 'stopped']),
    );
  });
});

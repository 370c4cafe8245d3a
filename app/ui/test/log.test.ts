// The UI server process's stdout, parsed as Cloud Logging reads each line: severity, message, time, and
// httpRequest on the lines about a request.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/helpers/free-port.js';
import { formatLine, httpRequest } from '../server/log.js';
import { staticDir } from './helpers.js';

const uiDir = fileURLToPath(new URL('..', import.meta.url));
let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

async function waitFor<T>(find: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('UI server log lines (real process)', () => {
  it('startup, a failed proxy request and shutdown are Cloud Logging lines', async () => {
    const [port, closedPort] = [await freePort(), await freePort()];
    // `source`: the API's shared HTTP server from its TypeScript (app/api/package.json), so no build is needed.
    const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'server/server.ts'], {
      cwd: uiDir,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        API_URL: `http://127.0.0.1:${closedPort}`,
        PROXY_RETRY_MS: '0',
        STATIC_DIR: await staticDir(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stdout = '';
    proc.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    const lines = () =>
      stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);

    const listening = await waitFor(
      () => lines().find((l) => String(l.message).startsWith('listening')),
      'the listening line',
    );
    expect(listening).toMatchObject({ severity: 'INFO', service: 'modelship-ui', port });

    const res = await fetch(`http://127.0.0.1:${port}/api/v1/models?token=x`, { method: 'GET' });
    expect(res.status).toBe(502);
    const failed = await waitFor(
      () => lines().find((l) => l.message === 'api unreachable'),
      'the api unreachable line',
    );
    expect(failed).toMatchObject({
      severity: 'ERROR',
      httpRequest: { requestMethod: 'GET', requestUrl: '/api/v1/models', status: 502 },
      code: 'ECONNREFUSED',
    });
    expect((failed.httpRequest as { latency: string }).latency).toMatch(/^\d+\.\d{3}s$/);
    expect(stdout).not.toContain('token=x');

    proc.kill('SIGTERM');
    await once(proc, 'exit');
    expect(lines().at(-1)).toMatchObject({ severity: 'INFO', message: 'shutting down', signal: 'SIGTERM' });
    for (const line of lines()) expect(new Date(String(line.time)).toISOString()).toBe(line.time);
  });

  it('formats a line with INFO by default and keeps extra fields', () => {
    const line = JSON.parse(formatLine({ message: 'hi', a: 1 }, new Date(0)));
    expect(line).toEqual({
      severity: 'INFO',
      time: '1970-01-01T00:00:00.000Z',
      service: 'modelship-ui',
      message: 'hi',
      a: 1,
    });
    expect(httpRequest('POST', '/api/x', 504, 1234.5)).toEqual({
      requestMethod: 'POST',
      requestUrl: '/api/x',
      status: 504,
      latency: '1.234s',
    });
  });
});

// The readiness wait against a real local HTTP server that goes through the states a fresh VM goes through.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { READINESS_SCRIPT } from '../components/readiness.js';
import { gcloudNudge } from '../readiness/nudge.js';
import {
  describeFetchError,
  formatElapsed,
  probe,
  ReadinessTimeoutError,
  waitUntilReady,
} from '../readiness/wait.js';
import { NUDGE_KEY } from '../vm/metadata.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server | undefined;

async function serve(handler: Handler): Promise<string> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** Options with a fake clock: each sleep advances time instead of waiting. */
function fastOptions(url: string, extra: Partial<Parameters<typeof waitUntilReady>[0]> = {}) {
  let t = 0;
  const lines: string[] = [];
  return {
    lines,
    opts: {
      url,
      version: '0.1.0+abc',
      timeoutMs: 60_000,
      intervalMs: 5_000,
      requestTimeoutMs: 2_000,
      log: (line: string) => lines.push(line),
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
      ...extra,
    },
  };
}

describe('waitUntilReady', () => {
  it('waits through not-ready and the old version, then succeeds on the new one, logging each state once', async () => {
    const paths: string[] = [];
    let round = 0;
    const url = await serve((req, res) => {
      paths.push(req.url ?? '');
      if (req.url === '/api/ready') {
        round += 1;
        return round <= 2 ? json(res, 503, { status: 'loading' }) : json(res, 200, { status: 'ready' });
      }
      if (req.url === '/api/health')
        return json(res, 200, { status: 'ok', version: round <= 4 ? '0.1.0+old' : '0.1.0+abc' });
      json(res, 404, {});
    });
    const { opts, lines } = fastOptions(url);
    await waitUntilReady(opts);
    expect(round).toBe(5);
    expect(paths.filter((p) => p === '/api/health')).toHaveLength(3);
    expect(lines[0]).toBe(`waiting for ${url} to serve version 0.1.0+abc (up to 1m00s)`);
    expect(lines[1]).toBe('[0m00s] /api/ready answered 503 (models loading or proxy starting)');
    expect(lines[2]).toBe('[0m10s] still serving version 0.1.0+old; waiting for 0.1.0+abc to roll out');
    expect(lines[3]).toBe(`ready after 0m20s: ${url} serves version 0.1.0+abc`);
    expect(lines).toHaveLength(4);
  });

  it('sends basic auth and reports refused credentials without printing them', async () => {
    const url = await serve((req, res) => {
      const expected = `Basic ${Buffer.from('student:right-password').toString('base64')}`;
      if (req.headers.authorization !== expected) return json(res, 401, {});
      json(res, 200, { status: 'ok', version: '0.1.0+abc' });
    });
    await waitUntilReady(fastOptions(url, { basicAuth: 'student:right-password' }).opts);
    const { opts, lines } = fastOptions(url, { basicAuth: 'student:wrong-password', timeoutMs: 10_000 });
    await expect(waitUntilReady(opts)).rejects.toThrow(/basicAuth credentials were refused/);
    expect(lines.join('\n')).not.toContain('wrong-password');
  });

  it('gives up after the timeout with the last state and the hint', async () => {
    const url = await serve((_req, res) => json(res, 503, {}));
    const { opts, lines } = fastOptions(url, {
      timeoutMs: 30_000,
      hint: 'Read the log: journalctl -u google-startup-scripts',
    });
    const error = await waitUntilReady(opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadinessTimeoutError);
    expect((error as Error).message).toBe(
      `${url} did not serve version 0.1.0+abc within 0m30s; last state: /api/ready answered 503 (models loading or proxy starting). Read the log: journalctl -u google-startup-scripts`,
    );
    // One line for the state, plus a heartbeat every minute only: nothing repeated within 30 s.
    expect(lines).toHaveLength(2);
  });

  it('repeats an unchanged state as a heartbeat so the user sees it is alive', async () => {
    const url = await serve((_req, res) => json(res, 503, {}));
    const { opts, lines } = fastOptions(url, { timeoutMs: 130_000, heartbeatMs: 60_000, intervalMs: 10_000 });
    await expect(waitUntilReady(opts)).rejects.toThrow(ReadinessTimeoutError);
    expect(lines.filter((l) => l.includes('answered 503')).map((l) => l.slice(0, 7))).toEqual([
      '[0m00s]',
      '[1m00s]',
      '[2m00s]',
    ]);
  });

  it('nudges a VM that does not serve after nudgeAfterMs, again every nudgeEveryMs, and stops once it serves', async () => {
    let fixed = false;
    const url = await serve((_req, res) =>
      json(res, 200, { status: 'ok', version: fixed ? '0.1.0+abc' : '0.1.0+old' }),
    );
    const nudges: number[] = [];
    let t = 0;
    const { opts, lines } = fastOptions(url, {
      timeoutMs: 20 * 60_000,
      intervalMs: 10_000,
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
      nudgeAfterMs: 120_000,
      nudgeEveryMs: 300_000,
      // the second nudge finds the VM's failed deploy retryable: it then serves the new version
      nudge: async () => {
        nudges.push(t);
        if (nudges.length === 2) fixed = true;
        return `nudge ${nudges.length}`;
      },
    });
    await waitUntilReady(opts);
    expect(nudges).toEqual([120_000, 420_000]);
    expect(lines).toContain('[2m00s] nudge 1');
    expect(lines).toContain('[7m00s] nudge 2');
    expect(lines.at(-1)).toBe(`ready after 7m10s: ${url} serves version 0.1.0+abc`);
  });

  it('never nudges a site that serves the version in time, and goes on waiting when a nudge fails', async () => {
    let nudged = 0;
    const nudge = async () => {
      nudged++;
      throw new Error('gcloud exploded');
    };
    const ok = await serve((_req, res) => json(res, 200, { status: 'ok', version: '0.1.0+abc' }));
    await waitUntilReady(fastOptions(ok, { nudge, nudgeAfterMs: 0 }).opts);
    expect(nudged).toBe(0);
    server?.close();
    const old = await serve((_req, res) => json(res, 200, { status: 'ok', version: 'old' }));
    const { opts, lines } = fastOptions(old, { nudge, nudgeAfterMs: 10_000, timeoutMs: 30_000 });
    await expect(waitUntilReady(opts)).rejects.toThrow(ReadinessTimeoutError);
    expect(nudged).toBe(1);
    expect(lines).toContain('[0m10s] could not nudge the VM: Error: gcloud exploded');
  });

  it('uses real time when not given a clock (short bound)', async () => {
    const url = await serve((_req, res) => json(res, 200, { status: 'ok', version: 'other' }));
    const started = Date.now();
    await expect(
      waitUntilReady({
        url,
        version: 'wanted',
        timeoutMs: 300,
        intervalMs: 100,
        requestTimeoutMs: 1000,
        log: () => {},
      }),
    ).rejects.toThrow(/still serving version other; waiting for wanted/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('probe', () => {
  it('explains a refused connection', async () => {
    const url = await serve(() => {});
    server?.close();
    await once(server as Server, 'close');
    const result = await probe({ url, version: 'v', requestTimeoutMs: 1000 });
    expect(result).toEqual({
      ready: false,
      reason: 'connection refused (the VM is booting or Caddy is not up yet)',
    });
  });

  it('times out a request that never answers', async () => {
    const url = await serve(() => {});
    const result = await probe({ url, version: 'v', requestTimeoutMs: 200 });
    expect(result).toEqual({ ready: false, reason: 'no answer (timed out)' });
  });

  it('needs a version in /api/health', async () => {
    const url = await serve((req, res) =>
      req.url === '/api/ready' ? json(res, 200, {}) : res.end('not json'),
    );
    expect(await probe({ url, version: 'v', requestTimeoutMs: 1000 })).toEqual({
      ready: false,
      reason: '/api/health answered 200 without a version',
    });
  });
});

describe('describeFetchError', () => {
  const fetchError = (code: string, message = code) =>
    Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });

  it('names the usual states of a fresh deployment', () => {
    expect(describeFetchError(fetchError('ENOTFOUND'))).toBe('the name does not resolve yet (ENOTFOUND)');
    expect(describeFetchError(fetchError('ERR_TLS_CERT_ALTNAME_INVALID'))).toMatch(
      /^HTTPS is not ready yet: the certificate is probably still being issued/,
    );
    expect(describeFetchError(fetchError('ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR'))).toMatch(
      /^HTTPS is not ready yet/,
    );
    expect(describeFetchError(fetchError('UND_ERR_CONNECT_TIMEOUT'))).toBe(
      'cannot connect yet (UND_ERR_CONNECT_TIMEOUT)',
    );
    expect(describeFetchError(new Error('boom'))).toBe('request failed: boom');
  });

  it('formats elapsed time', () => {
    expect(formatElapsed(0)).toBe('0m00s');
    expect(formatElapsed(125_000)).toBe('2m05s');
  });
});

describe('the nudge (gcloud compute instances add-metadata)', () => {
  const vm = { instance: 'modelship-vm-instance-1', zone: 'us-central1-a', project: 'student-proj-1' };
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  /** A stand-in gcloud on disk that records its arguments and exits with `code`. */
  async function fakeGcloud(code: number, stderr = '') {
    dir = await mkdtemp(join(tmpdir(), 'modelship-gcloud-'));
    const path = join(dir, 'gcloud');
    await writeFile(
      path,
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\nprintf '%s\\n' '${stderr}' >&2\nexit ${code}\n`,
    );
    await chmod(path, 0o755);
    return path;
  }

  it('sets modelship-nudge on the VM to a new value, keeping the other keys (add-metadata)', async () => {
    const gcloud = await fakeGcloud(0);
    const before = Math.floor(Date.now() / 1000);
    const line = await gcloudNudge(vm, gcloud)();
    const args = (await readFile(join(dir, 'args'), 'utf8')).trimEnd().split('\n');
    expect(args.slice(0, -1)).toEqual([
      'compute',
      'instances',
      'add-metadata',
      'modelship-vm-instance-1',
      '--zone',
      'us-central1-a',
      '--project',
      'student-proj-1',
      '--metadata',
    ]);
    const value = Number(args.at(-1)?.replace(`${NUDGE_KEY}=`, ''));
    expect(value).toBeGreaterThanOrEqual(before);
    expect(line).toBe(`the VM is not serving yet: asked it to retry its deploy now (${NUDGE_KEY}=${value})`);
  });

  it('reports a refused or missing gcloud with the command to run by hand', async () => {
    const denied = await fakeGcloud(
      1,
      'ERROR: (gcloud.compute.instances.add-metadata) Required compute.instances.setMetadata permission',
    );
    const line = await gcloudNudge(vm, denied)();
    expect(line).toContain('(gcloud.compute.instances.add-metadata) Required compute.instances.setMetadata');
    expect(line).toContain(
      'by hand: gcloud compute instances add-metadata modelship-vm-instance-1 --zone us-central1-a --project student-proj-1 --metadata modelship-nudge=$(date +%s)',
    );
    expect(await gcloudNudge(vm, join(dir, 'no-such-gcloud'))()).toMatch(/^could not ask the VM .*ENOENT/);
  });
});

describe('the command pulumi up runs', () => {
  const repoRoot = new URL('../../', import.meta.url);
  const run = (env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', READINESS_SCRIPT],
        { cwd: repoRoot, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
    });
  /** The script waiting up to `seconds` for `url` to serve `version`, with `extra` settings. */
  const waitFor = (url: string, version: string, seconds: number, extra: Record<string, string> = {}) =>
    run({
      MODELSHIP_URL: url,
      MODELSHIP_VERSION: version,
      MODELSHIP_TIMEOUT_SECONDS: String(seconds),
      ...extra,
    });

  it('exits 0 once the URL serves the version, printing progress', async () => {
    const url = await serve((_req, res) => json(res, 200, { status: 'ok', version: '0.1.0+abc' }));
    const result = await waitFor(url, '0.1.0+abc', 30);
    // the real clock: a loaded machine may take a second or more to answer
    expect(result.stdout).toMatch(new RegExp(`ready after 0m\\d\\ds: ${url} serves version 0\\.1\\.0\\+abc`));
    expect(result.code).toBe(0);
  });

  it('exits 1 with the reason when the time is up, and 2 when misconfigured', async () => {
    const url = await serve((_req, res) => json(res, 200, { status: 'ok', version: 'old' }));
    const late = await waitFor(url, 'new', 1, { MODELSHIP_HINT: 'hint!' });
    expect(late.code).toBe(1);
    expect(late.stderr).toContain(
      'did not serve version new within 0m01s; last state: still serving version old',
    );
    expect(late.stderr).toContain('hint!');
    const bad = await run({ MODELSHIP_VERSION: 'new', MODELSHIP_TIMEOUT_SECONDS: '1' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('MODELSHIP_URL is not set');
  });

  it('reports a stopped VM as stopped (an idle auto-stop), without waiting for its URL', async () => {
    let requests = 0;
    const url = await serve((_req, res) => {
      requests++;
      json(res, 503, {});
    });
    const started = Date.now();
    const result = await waitFor(url, 'new', 600, {
      MODELSHIP_VM_STATUS: 'TERMINATED',
      MODELSHIP_STOPPED_HINT: 'It deploys this version when started: gcloud compute instances start vm',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('the VM is terminated, so its URL does not answer.');
    expect(result.stdout).toContain('gcloud compute instances start vm');
    expect(requests).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    // a running VM is waited for as before
    const running = await waitFor(url, 'new', 1, { MODELSHIP_VM_STATUS: 'RUNNING' });
    expect(running.code).toBe(1);
  });
});

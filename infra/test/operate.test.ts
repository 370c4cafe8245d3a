// infra/vm/operate.sh without Docker: the Ops Agent configuration step against the fake metadata server in a
// temp root, and the idle counter read from a real API's /metrics. The idle timer itself, with real
// containers, is proven by the VM rehearsal (test/vm).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listen, startRuntime } from '../../app/api/test/helpers/api-runtime.js';
import { textFixture } from '../../test/fixtures/text-images.js';
import { type FakeMetadataServer, startFakeMetadataServer } from '../../test/vm/fake-metadata.js';
import { renderVmMetadata, type VmMetadataArgs } from '../vm/metadata.js';

const script = fileURLToPath(new URL('../vm/operate.sh', import.meta.url));

const args: VmMetadataArgs = {
  apiImage: `127.0.0.1:5000/modelship/api@sha256:${'a'.repeat(64)}`,
  uiImage: `127.0.0.1:5000/modelship/ui@sha256:${'b'.repeat(64)}`,
  registryHost: '127.0.0.1:5000',
  siteAddress: 'http://:8080',
  gpu: true,
  api: {},
  version: '1.0.0-test',
  idleStopMinutes: 90,
};

let server: FakeMetadataServer;
let root: string;

function bash(commands: string, env: Record<string, string> = {}, input = '') {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      'bash',
      ['-c', `source "$0" ops-lib\n${commands}`, script],
      {
        env: {
          ...process.env,
          MODELSHIP_METADATA_URL: server.url,
          MODELSHIP_ROOT: root,
          MODELSHIP_SKIP_INSTALL: '1',
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

beforeAll(async () => {
  server = await startFakeMetadataServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  server.setAttributes(renderVmMetadata(args));
  root = await mkdtemp(join(tmpdir(), 'modelship-operate-'));
  return () => rm(root, { recursive: true, force: true });
});

describe('ensure_ops_agent', () => {
  it('writes the rendered configuration into the agent directory once, then leaves it', async () => {
    const dir = join(root, 'etc-ops-agent');
    const first = await bash('sync_files; ensure_ops_agent', { MODELSHIP_OPS_AGENT_DIR: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('ops-agent: configuration updated');
    const written = await readFile(join(dir, 'config.yaml'), 'utf8');
    expect(written).toBe(renderVmMetadata(args)['modelship-ops-agent']);
    expect(written).toContain('nvml');
    const second = await bash('ensure_ops_agent', { MODELSHIP_OPS_AGENT_DIR: dir });
    expect(second.stdout).toContain('ops-agent: configuration unchanged');
  });

  it('never writes to the machine when it may not install the agent (the rehearsal runs as root)', async () => {
    const run = await bash(
      'sync_files; ensure_ops_agent; ls /etc/google-cloud-ops-agent 2>/dev/null || true',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('ops-agent: not installed (MODELSHIP_SKIP_INSTALL=1)');
    expect(run.stdout).not.toContain('configuration updated');
  });
});

describe('idle settings', () => {
  it('reads IDLE_STOP_MINUTES from the deployment .env; absent means off', async () => {
    const on = await bash('sync_files >/dev/null; idle_limit');
    expect(on.stdout.trim().split('\n').at(-1)).toBe(String(90 * 60));
    await writeFile(join(root, '.env'), "API_IMAGE='x'\n");
    expect((await bash('idle_limit')).stdout.trim()).toBe('0');
    // the test override shortens an enabled limit, and never turns the setting on by itself
    expect((await bash('idle_limit', { MODELSHIP_IDLE_STOP_SECONDS: '7' })).stdout.trim()).toBe('0');
    await writeFile(join(root, '.env'), "IDLE_STOP_MINUTES='120'\n");
    expect((await bash('idle_limit', { MODELSHIP_IDLE_STOP_SECONDS: '7' })).stdout.trim()).toBe('7');
  });

  it('idle_watch returns at once when the setting is off', async () => {
    await writeFile(join(root, '.env'), "API_IMAGE='x'\n");
    const run = await bash('idle_watch', { MODELSHIP_IDLE_STOP_COMMAND: `touch ${root}/stopped` });
    expect(run.stdout).toContain('idle-stop: turned off');
    await expect(readFile(join(root, 'stopped'))).rejects.toThrow();
  });
});

describe('count_predictions on a real API /metrics', () => {
  it('counts the requests that ran a model, not health checks, listings or errors without a model', async () => {
    const rt = await startRuntime();
    const api = await listen(rt);
    try {
      await rt.pool.ready;
      const { png } = await textFixture('paragraph');
      const predict = () =>
        fetch(`${api.url}/v1/models/ocr/predict`, {
          method: 'POST',
          headers: { 'Content-Type': 'image/png' },
          body: png,
        });
      expect((await predict()).status).toBe(200);
      expect((await predict()).status).toBe(200);
      await fetch(`${api.url}/health`);
      await fetch(`${api.url}/v1/models`);
      await fetch(`${api.url}/v1/models/nope/predict`, { method: 'POST', body: png });
      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      const run = await bash('count_predictions', {}, metrics);
      expect(run.stdout.trim()).toBe('2');
    } finally {
      await api.close();
      await rt.pool.close();
    }
  }, 120_000);
});

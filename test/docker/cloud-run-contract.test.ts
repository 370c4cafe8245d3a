// The container contract Cloud Run holds both images to, checked on a real Docker engine with the settings
// the cloud-run shape deploys: listen on $PORT (not the image's default port), pass the startup probe within
// its window, write nothing outside /tmp (--read-only with a tmpfs /tmp), finish requests in flight and
// exit 0 within the 10 s between SIGTERM and SIGKILL, and answer each request the same whatever came before.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultQueueSize } from '../../app/api/src/config.js';
import { API_PROBES, API_SHUTDOWN_SECONDS, UI_PROBES } from '../../infra/stacks/cloud-run.js';
import { textFixture } from '../fixtures/text-images.js';
import { freePort } from '../helpers/free-port.js';
import { docker, run, standInBuildArgs, waitFor } from './docker.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const API_IMAGE = 'modelship-api:cloud-run-contract';
const UI_IMAGE = 'modelship-ui:cloud-run-contract';
/** Cloud Run's PORT for these tests: deliberately not the images' defaults (8000, 8501). */
const PORT = 8080;
/** Seconds Cloud Run waits between SIGTERM and SIGKILL. */
const CLOUD_RUN_GRACE = 10;
const WORKERS = 1;

const started: string[] = [];

/** Starts a container the way Cloud Run does (PORT set, read-only root, tmpfs /tmp); resolves to id and URL. */
async function runContainer(image: string, env: Record<string, string>) {
  const port = await freePort();
  const id = (
    await docker(
      'run',
      '--detach',
      '--read-only',
      '--tmpfs',
      '/tmp:rw,size=64m',
      '--publish',
      `127.0.0.1:${port}:${PORT}`,
      '--env',
      `PORT=${PORT}`,
      ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      image,
    )
  ).trim();
  started.push(id);
  return { id, url: `http://127.0.0.1:${port}`, since: performance.now() };
}

async function ok(url: string): Promise<true | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
  return res?.ok ? true : undefined;
}

async function logs(id: string): Promise<string> {
  return run('docker', ['logs', '--tail', '40', id]).catch((e: Error) => e.message);
}

/** Waits until `container` passes its startup probe within the probe's window; fails with its last logs. */
async function passesStartupProbe(
  what: string,
  container: { id: string; url: string },
  probes: typeof API_PROBES,
): Promise<void> {
  await waitFor(
    `${what} on $PORT ${PORT} to pass its startup probe ${probes.startupPath}`,
    () => ok(`${container.url}${probes.startupPath}`),
    probes.window * 1000,
    200,
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}\n${await logs(container.id)}`);
  });
}

const exitCode = async (id: string) =>
  Number((await docker('inspect', '-f', '{{.State.ExitCode}}', id)).trim());

async function predict(url: string, png: Buffer): Promise<{ status: number; texts: string[] }> {
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'scan.png');
  const res = await fetch(`${url}/v1/models/ocr/predict`, { method: 'POST', body: form });
  const body = (await res.json()) as { detections?: { text?: string }[] };
  return { status: res.status, texts: (body.detections ?? []).map((d) => d.text ?? '') };
}

const apiEnv = {
  WORKERS: String(WORKERS),
  QUEUE_SIZE: String(defaultQueueSize(WORKERS)),
  SHUTDOWN_TIMEOUT: String(API_SHUTDOWN_SECONDS),
};

beforeAll(async () => {
  await docker('info', '--format', '{{.ServerVersion}}');
  // The layers are shared with the compose build of stack.test.ts, so after it this is a cache hit.
  for (const [image, target] of [
    [API_IMAGE, 'api'],
    [UI_IMAGE, 'ui'],
  ] as const) {
    await run(
      'docker',
      ['build', '--quiet', '--tag', image, '--target', target, ...standInBuildArgs(repo), '.'],
      {
        cwd: repo,
      },
    );
  }
});

afterAll(async () => {
  for (const id of started) await docker('rm', '--force', '--volumes', id).catch(() => undefined);
});

describe('the API image under Cloud Run rules', () => {
  let api: Awaited<ReturnType<typeof runContainer>>;

  beforeAll(
    async () => {
      api = await runContainer(API_IMAGE, apiEnv);
      await passesStartupProbe('the API', api, API_PROBES);
    },
    (API_PROBES.window + 60) * 1000,
  );

  it('listens on $PORT and is ready within the startup probe window', async () => {
    const seconds = (performance.now() - api.since) / 1000;
    expect(seconds).toBeLessThan(API_PROBES.window);
    expect(await ok(`${api.url}${API_PROBES.livenessPath}`)).toBe(true);
  });

  it('serves from a read-only root: nothing written outside the tmpfs /tmp', async () => {
    const png = (await textFixture('line')).png;
    expect((await predict(api.url, png)).status).toBe(200);
    expect((await docker('diff', api.id)).trim()).toBe('');
  });

  it('carries no state between requests: the same image gets the same answer whatever came before', async () => {
    const [line, paragraph] = await Promise.all([textFixture('line'), textFixture('paragraph')]);
    const first = await predict(api.url, line.png);
    await predict(api.url, paragraph.png);
    const again = await predict(api.url, line.png);
    expect(first.status).toBe(200);
    expect(first.texts.length).toBeGreaterThan(0);
    expect(again).toEqual(first);
  });

  it('on SIGTERM finishes the request in flight and exits 0 well within Cloud Run’s 10 s', async () => {
    const paragraph = await textFixture('paragraph');
    const inFlight = predict(api.url, paragraph.png);
    // Signal once the request is being processed, as Cloud Run would when scaling in.
    await waitFor(
      'the request to be in flight',
      async () => {
        const metrics = await (await fetch(`${api.url}/metrics`)).text();
        return /^modelship_inflight_requests \d*[1-9]/m.test(metrics) ? true : undefined;
      },
      10_000,
      20,
    );
    const signalled = performance.now();
    // `docker stop` is SIGTERM, then SIGKILL after the grace period: Cloud Run's sequence.
    await docker('stop', '--time', String(CLOUD_RUN_GRACE), api.id);
    const seconds = (performance.now() - signalled) / 1000;
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.texts.length).toBeGreaterThan(0);
    expect(await exitCode(api.id), await logs(api.id)).toBe(0);
    expect(seconds).toBeLessThan(CLOUD_RUN_GRACE);
  });
});

describe('the UI image under Cloud Run rules', () => {
  it('listens on $PORT from a read-only root, serves the page, and exits 0 on SIGTERM', async () => {
    // An API URL that does not answer: the UI must start and serve without it.
    const ui = await runContainer(UI_IMAGE, { API_URL: 'http://127.0.0.1:9' });
    await passesStartupProbe('the UI', ui, UI_PROBES);
    const page = await fetch(`${ui.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    expect((await docker('diff', ui.id)).trim()).toBe('');
    const signalled = performance.now();
    await docker('stop', '--time', String(CLOUD_RUN_GRACE), ui.id);
    expect((performance.now() - signalled) / 1000).toBeLessThan(CLOUD_RUN_GRACE);
    expect(await exitCode(ui.id), await logs(ui.id)).toBe(0);
  });
});

// The images and the compose stack on a real Docker engine: build both images from the repository, run the
// stack the way the VM does (only the compose files and the Caddyfile in a folder, images given by env,
// `up --no-build`), then exercise it through the UI's /api proxy and through the Caddy HTTPS front.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { textFixture } from '../fixtures/text-images.js';
import { freePort } from '../helpers/free-port.js';
import {
  addedBytes,
  compose,
  containerState,
  docker,
  httpsGet,
  run,
  standInImages,
  waitFor,
} from './docker.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const API_IMAGE = 'modelship-api:local';
const UI_IMAGE = 'modelship-ui:local';
const BASE_IMAGE = 'node:22-bookworm-slim';
const MB = 1024 * 1024;
const BUDGET = { api: 120 * MB, ui: 40 * MB };
const VERSION = '0.0.0-docker-test';
const revision = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();

// The VM's layout: the compose files and deploy/Caddyfile, no sources (so no build context).
const site = mkdtempSync(join(tmpdir(), 'modelship-docker-test-'));
const project = { name: 'modelship-docker-test', dir: site, files: ['docker-compose.yml'] };
const withCaddy = { ...project, files: ['docker-compose.yml', 'docker-compose.caddy.yml'] };
let env: Record<string, string>;
let uiUrl: string;
/** Image IDs the running containers were created from (the tags may move while the suite runs). */
const running = { api: '', ui: '' };
let failed = false;

const api = (path: string, init?: RequestInit) => fetch(`${uiUrl}/api${path}`, init);
const serviceId = async (service: string) => (await compose(withCaddy, env, ['ps', '-q', service])).trim();

async function waitHealthy(service: string, timeoutMs = 240_000): Promise<string> {
  return waitFor(
    `${service} to be healthy`,
    async () => {
      const id = await serviceId(service);
      if (!id) return undefined;
      const state = await containerState(id);
      if (state.status === 'exited' || state.health === 'unhealthy') {
        throw new Error(
          `${service} is ${state.status}/${state.health}: ${await docker('logs', '--tail', '30', id)}`,
        );
      }
      return state.status === 'running' && state.health === 'healthy' ? id : undefined;
    },
    timeoutMs,
  );
}

/**
 * Posts the paragraph fixture at twice its size, uncompressed (over 1 MB, so curl first sends
 * `Expect: 100-continue`), with curl as the "Copy as curl" command does, and checks every line is read.
 */
async function expectCurlUploadRead(apiBase: string, curlArgs: string[] = []) {
  const paragraph = await textFixture('paragraph');
  const { width } = await sharp(paragraph.png).metadata();
  const png = await sharp(paragraph.png)
    .resize({ width: width * 2 })
    .png({ compressionLevel: 0 })
    .toBuffer();
  expect(png.length).toBeGreaterThan(MB);
  const dir = mkdtempSync(join(tmpdir(), 'modelship-curl-'));
  try {
    writeFileSync(join(dir, 'scan.png'), png);
    const out = await run('curl', [
      '--silent',
      '--show-error',
      '--fail-with-body',
      ...curlArgs,
      '--form',
      `image=@${join(dir, 'scan.png')};type=image/png`,
      `${apiBase}/v1/models/ocr/predict`,
    ]);
    const body = JSON.parse(out) as { detections: { text?: string }[] };
    expect(body.detections.map((d) => d.text)).toEqual(paragraph.lines);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  await docker('info', '--format', '{{.ServerVersion}}').catch((error: Error) => {
    throw new Error(
      `no Docker engine answers; on this kind of machine run ../shared/docker-offline/setup first\n${error.message}`,
    );
  });
  // Build through compose's own build sections, as `docker compose up --build` on a laptop does.
  // NODE_IMAGE: the local stand-in for the pinned base (this engine cannot pull a digest).
  const buildEnv = {
    APP_VERSION: VERSION,
    UI_VERSION: VERSION,
    GIT_REVISION: revision,
    NODE_IMAGE: standInImages(repo).NODE_IMAGE ?? '',
  };
  await compose({ name: project.name, dir: repo, files: ['docker-compose.yml'] }, buildEnv, [
    'build',
    'api',
    'ui',
  ]);

  for (const file of [
    'docker-compose.yml',
    'docker-compose.caddy.yml',
    'docker-compose.gpu.yml',
    'deploy/Caddyfile',
  ]) {
    mkdirSync(join(site, file, '..'), { recursive: true });
    cpSync(join(repo, file), join(site, file));
  }
  const uiPort = await freePort();
  uiUrl = `http://127.0.0.1:${uiPort}`;
  env = {
    API_IMAGE,
    UI_IMAGE,
    APP_VERSION: VERSION,
    UI_PORT: String(uiPort),
    UI_BIND: '127.0.0.1',
    WORKERS: '1',
    HTTP_PORT: String(await freePort()),
    HTTPS_PORT: String(await freePort()),
    SITE_ADDRESS: 'localhost',
    // the local stand-in for the pinned Caddy image
    CADDY_IMAGE: standInImages(repo).CADDY_IMAGE ?? '',
  };
  await compose(withCaddy, env, ['down', '-v', '--remove-orphans']);
  await compose(project, env, ['up', '-d', '--no-build']);
  for (const service of ['api', 'ui'] as const) {
    running[service] = (await docker('inspect', '-f', '{{.Image}}', await waitHealthy(service))).trim();
  }
});

afterEach(({ task }) => {
  if (task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  try {
    if (failed && env) console.log(await compose(withCaddy, env, ['logs', '--no-color', '--tail', '80']));
  } finally {
    if (env) await compose(withCaddy, env, ['down', '-v', '--remove-orphans']);
    rmSync(site, { recursive: true, force: true });
  }
});

describe('images', () => {
  it('stay within the size budget on top of node:22-bookworm-slim', async () => {
    const added = {
      api: await addedBytes(running.api, BASE_IMAGE),
      ui: await addedBytes(running.ui, BASE_IMAGE),
    };
    console.log(
      `image layers added on top of ${BASE_IMAGE}: api ${(added.api / MB).toFixed(1)} MB (budget 120 MB), ` +
        `ui ${(added.ui / MB).toFixed(1)} MB (budget 40 MB)`,
    );
    expect(added.api).toBeLessThanOrEqual(BUDGET.api);
    expect(added.ui).toBeLessThanOrEqual(BUDGET.ui);
  });

  it('carry the OCI labels from the build arguments', async () => {
    for (const image of [running.api, running.ui]) {
      const labels = JSON.parse(await docker('image', 'inspect', '-f', '{{json .Config.Labels}}', image));
      expect(labels).toMatchObject({
        'org.opencontainers.image.version': VERSION,
        'org.opencontainers.image.revision': revision,
        'org.opencontainers.image.source': expect.any(String),
      });
    }
  });

  const shell = (image: string, script: string) =>
    docker('run', '--rm', '--entrypoint', 'sh', image, '-c', script).then((out) => out.trim().split('\n'));

  it('hold production dependencies only, and onnxruntime-node for this platform only', async () => {
    expect(await shell(running.api, 'cd node_modules/onnxruntime-node/bin/napi-v6 && ls -d */*')).toEqual([
      `linux/${process.arch}`,
    ]);
    // dev tools of the workspace (root devDependencies, the UI's vite) must not be in the runtime images
    const devTools =
      'for p in typescript vite vitest @biomejs @pulumi tsx; do [ -e node_modules/$p ] && echo $p; done; true';
    expect(await shell(running.api, devTools)).toEqual(['']);
    expect(await shell(running.ui, devTools)).toEqual(['']);
    expect(
      await shell(running.api, 'ls node_modules/onnxruntime-node node_modules/sharp >/dev/null && echo ok'),
    ).toEqual(['ok']);
  });
});

describe('health checks', () => {
  const healthConfig = async (ref: string, kind: 'container' | 'image') =>
    JSON.parse(await docker(kind, 'inspect', '-f', '{{json .Config.Healthcheck}}', ref)) as {
      Test: string[];
      StartPeriod: number;
    };

  it("run as the images define them: compose adds none, and the probe is the image's healthcheck script", async () => {
    for (const service of ['api', 'ui'] as const) {
      const container = await healthConfig(await serviceId(service), 'container');
      expect(container).toEqual(await healthConfig(running[service], 'image'));
      expect(container.Test).toEqual(['CMD', 'healthcheck']);
    }
    // the same probe, run by hand (as the VM's rollout does), answers for the serving API
    expect((await docker('exec', await serviceId('api'), 'healthcheck')).trim()).toBe('');
  });

  it("keep the GPU image's longer start period through the compose files the VM runs (gpu overlay)", async () => {
    // This engine has no CUDA base: an image with the api-gpu stage's HEALTHCHECK line on top of the CPU API
    // stands in for it. Compose must create the API container with that start period, not a compose one.
    const dockerfile = readFileSync(join(repo, 'Dockerfile'), 'utf8');
    const gpuStage = dockerfile.slice(dockerfile.indexOf(' AS api-gpu\n'));
    const check = /^HEALTHCHECK .*$/m.exec(gpuStage)?.[0] ?? '';
    const period = Number(/--start-period=(\d+)s/.exec(check)?.[1]);
    expect(period).toBeGreaterThan(60);
    const gpuImage = 'modelship-api:gpu-health-test';
    const dir = mkdtempSync(join(tmpdir(), 'modelship-gpu-health-'));
    // BuildKit resolves FROM by name, not by image ID: tag the running API image for it.
    await docker('tag', running.api, `${gpuImage}-base`);
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${gpuImage}-base\n${check}\n`);
    await docker('build', '-q', '-t', gpuImage, dir);
    const gpuProject = {
      name: 'modelship-docker-test-gpu',
      dir: site,
      files: ['docker-compose.yml', 'docker-compose.gpu.yml'],
    };
    const gpuEnv = { ...env, API_IMAGE: gpuImage };
    try {
      // created, never started: this machine has no NVIDIA runtime for the overlay's device request
      await compose(gpuProject, gpuEnv, ['up', '--no-start', '--no-build', 'api']);
      const id = (await compose(gpuProject, gpuEnv, ['ps', '-a', '-q', 'api'])).trim();
      const container = await healthConfig(id, 'container');
      expect(container.StartPeriod).toBe(period * 1e9);
      expect(container.Test).toEqual(['CMD', 'healthcheck']);
    } finally {
      await compose(gpuProject, gpuEnv, ['down', '--remove-orphans']);
      await docker('rmi', gpuImage, `${gpuImage}-base`).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the stack', () => {
  it('runs both services as the non-root node user, healthy', async () => {
    for (const service of ['api', 'ui']) {
      const id = await serviceId(service);
      const state = await containerState(id);
      expect(state).toMatchObject({ status: 'running', health: 'healthy', user: 'node' });
      // PID 1 (tini) and the server it started, as the kernel sees them
      const status = await docker(
        'exec',
        id,
        'sh',
        '-c',
        'set -- $(cat /proc/1/task/1/children) && grep ^Uid: /proc/1/status "/proc/$1/status"',
      );
      const uids = status
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/)[1]);
      expect(uids).toEqual(['1000', '1000']);
    }
  });

  it('publishes the UI only: the API has no host port', async () => {
    expect((await docker('port', await serviceId('api'))).trim()).toBe('');
    const res = await fetch(`${uiUrl}/healthz`);
    expect(res.status).toBe(200);
  });

  it('serves the UI page and its assets', async () => {
    const res = await fetch(`${uiUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<title>modelship');
    const script = html.match(/<script type="module"[^>]* src="([^"]+)"/)?.[1];
    expect(script).toMatch(/^\/assets\//);
    const asset = await fetch(`${uiUrl}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
  });

  it('answers the API contract through the UI proxy: health, models, predict, bad input', async () => {
    const health = await api('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: 'ok',
      version: VERSION,
      models: ['ocr'],
      ready: true,
      failed: [],
    });

    const models = (await (await api('/v1/models')).json()) as {
      name: string;
      task: string;
      provider: string;
    }[];
    expect(models).toEqual([expect.objectContaining({ name: 'ocr', task: 'ocr', provider: 'cpu' })]);

    const paragraph = await textFixture('paragraph');
    const predict = await api('/v1/models/ocr/predict', {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: paragraph.png,
    });
    expect(predict.status).toBe(200);
    const body = (await predict.json()) as { model: string; detections: { text?: string }[] };
    expect(body.model).toBe('ocr');
    expect(body.detections.map((d) => d.text)).toEqual(paragraph.lines);

    const bad = await api('/v1/models/ocr/predict', {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: Buffer.from('not an image at all'),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: expect.any(String), detail: expect.any(String) });

    const unknown = await api('/v1/models/nope/predict', {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: paragraph.png,
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ detail: expect.stringContaining('ocr') });
  });

  it('reads an upload over 1 MB sent by curl (Expect: 100-continue) to the UI port', async () => {
    await expectCurlUploadRead(`${uiUrl}/api`);
  });

  it('restarts the API when its server process dies, and the UI proxy recovers', async () => {
    const id = await serviceId('api');
    const before = await containerState(id);
    // tini is PID 1; its child is the node server. SIGKILL stands in for a crash (or the OOM killer).
    await docker('exec', id, 'sh', '-c', 'set -- $(cat /proc/1/task/1/children) && kill -KILL "$1"');
    await waitFor(
      'the API container to be restarted',
      async () => ((await containerState(id)).restartCount > before.restartCount ? true : undefined),
      60_000,
      500,
    );
    await waitHealthy('api');
    const health = await waitFor(
      "the UI's /api/health",
      async () => {
        const res = await api('/health');
        return res.status === 200 ? ((await res.json()) as { ready: boolean }) : undefined;
      },
      120_000,
    );
    expect(health.ready).toBe(true);
    expect((await containerState(await serviceId('ui'))).status).toBe('running');
  });

  it('stops the API gracefully on SIGTERM (exit code 0, no kill after the grace period)', async () => {
    const id = await serviceId('api');
    const started = Date.now();
    await compose(project, env, ['stop', '-t', '20', 'api']);
    expect(Date.now() - started).toBeLessThan(20_000);
    const exitCode = (await docker('inspect', '-f', '{{.State.ExitCode}}', id)).trim();
    expect(exitCode).toBe('0');
    await compose(project, env, ['start', 'api']);
    await waitHealthy('api');
  });
});

describe('the Caddy HTTPS front', () => {
  let httpsPort: number;
  let ca: string;

  const caddyfileCheck = async (extra: Record<string, string>) =>
    run('docker', [
      'run',
      '--rm',
      ...Object.entries(extra).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      '-v',
      `${join(site, 'deploy/Caddyfile')}:/etc/caddy/Caddyfile:ro`,
      env.CADDY_IMAGE ?? '',
      'caddy',
      'validate',
      '--config',
      '/etc/caddy/Caddyfile',
    ]);

  beforeAll(async () => {
    httpsPort = Number(env.HTTPS_PORT);
    await compose(withCaddy, env, ['up', '-d', '--no-build']);
    const id = await serviceId('caddy');
    // SITE_ADDRESS=localhost: Caddy issues the certificate from its own local CA, stored in the caddy_data volume
    ca = await waitFor(
      "Caddy's local CA certificate",
      async () =>
        (await docker('exec', id, 'cat', '/data/caddy/pki/authorities/local/root.crt')) || undefined,
      60_000,
    );
  });

  it('validates with a hostname, a plain-HTTP address, and with or without basic auth', async () => {
    const variants: Record<string, string>[] = [
      { SITE_ADDRESS: 'modelship.example.org' },
      { SITE_ADDRESS: 'http://:8080' },
      { BASIC_AUTH_USER: 'student', BASIC_AUTH_HASH: bcrypt.hashSync('x', 4) },
    ];
    for (const extra of variants) {
      expect(await caddyfileCheck(extra)).toContain('Valid configuration');
    }
  });

  it('serves the UI and the API over HTTPS, with a certificate for SITE_ADDRESS', async () => {
    const page = await waitFor(
      'the UI through Caddy',
      async () => {
        const res = await httpsGet('localhost', httpsPort, '/', ca);
        return res.status === 200 ? res : undefined;
      },
      60_000,
    );
    expect(page.body).toContain('<title>modelship');
    const health = await httpsGet('localhost', httpsPort, '/api/health', ca);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', version: VERSION, ready: true });
    // the API's Prometheus metrics are for the VM's monitoring, not for whoever has the URL
    for (const path of ['/api/metrics', '/api/%6Detrics', '/api//metrics']) {
      expect((await httpsGet('localhost', httpsPort, path, ca)).status, path).toBe(404);
    }

    // plain HTTP only redirects to HTTPS
    const redirect = await fetch(`http://127.0.0.1:${env.HTTP_PORT}/api/health`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toMatch(/^https:\/\/[^/]+\/api\/health$/);
  });

  it('reads an upload over 1 MB sent by curl through Caddy over HTTPS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelship-ca-'));
    try {
      writeFileSync(join(dir, 'ca.crt'), ca);
      await expectCurlUploadRead(`https://localhost:${httpsPort}/api`, [
        '--cacert',
        join(dir, 'ca.crt'),
        '--resolve',
        `localhost:${httpsPort}:127.0.0.1`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks for the basic-auth password when BASIC_AUTH_USER and BASIC_AUTH_HASH are set', async () => {
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    // a $2b$ bcrypt hash, as the Pulumi program makes it
    const authEnv = { ...env, BASIC_AUTH_USER: 'student', BASIC_AUTH_HASH: bcrypt.hashSync(password, 10) };
    await compose(withCaddy, authEnv, ['up', '-d', '--no-build', 'caddy']);
    const basic = (user: string, pass: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
    });
    const denied = await waitFor(
      'Caddy to ask for a password',
      async () => {
        const res = await httpsGet('localhost', httpsPort, '/', ca);
        return res.status === 401 ? res : undefined;
      },
      60_000,
    );
    expect(denied.headers['www-authenticate']).toMatch(/^Basic /);
    expect((await httpsGet('localhost', httpsPort, '/', ca, basic('student', 'wrong'))).status).toBe(401);
    const allowed = await httpsGet('localhost', httpsPort, '/api/health', ca, basic('student', password));
    expect(allowed.status).toBe(200);
  });
});

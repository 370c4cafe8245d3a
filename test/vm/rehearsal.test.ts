// The VM rehearsal (issue 7): the VM half of `pulumi up`, on this machine's Docker engine. A local registry
// stands in for Artifact Registry, a fake GCE metadata server (serving renderVmMetadata's output, as the
// Pulumi program does, and the basic-auth password as Secret Manager) for the real one, and a temp directory
// for /opt/modelship. The startup script runs as root exactly as GCE runs it, on a first boot's faults (the
// apt lock held, a failing package fetch, the registry refusing pulls), which its watcher outlasts; then the
// watcher rolls out new API images while a client keeps polling.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiMemoryMiB } from '../../app/api/src/memory-budget.js';
import { NUDGE_KEY, renderVmMetadata, type VmMetadataArgs } from '../../infra/vm/metadata.js';
import { standInBuildArgs } from '../docker/docker.js';
import { freePort } from '../helpers/free-port.js';
import { type FakeMetadataServer, startFakeMetadataServer } from './fake-metadata.js';
import { type FaultyRegistry, startFaultyRegistry } from './faulty-registry.js';
import { run, sleep } from './shell.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const shared = process.env.SHARED ?? resolve(repo, '../shared');
const REGISTRY = '127.0.0.1:5000';
// Distinct from the VM's `modelship` and from the Docker suite's projects.
const PROJECT = 'modelship-vmtest';
const REPO = `${REGISTRY}/${PROJECT}`;
// Rollout n (0: the first deploy) deploys this version; the API reports it, so the poller tells them apart.
const versionOf = (n: number) => `rehearsal-${n + 1}`;
// `npm run test:vm:rollouts` sets 10: that many rollouts in a row, alternating the two API images, under one
// polling client. CI runs one.
const ROLLOUTS = Number(process.env.MODELSHIP_ROLLOUTS ?? 1);
if (!Number.isInteger(ROLLOUTS) || ROLLOUTS < 1) {
  throw new Error(`MODELSHIP_ROLLOUTS: must be a positive integer, got ${process.env.MODELSHIP_ROLLOUTS}`);
}
const BASE_IMAGES = ['node:22-bookworm-slim', 'debian:bookworm-slim', 'caddy:2'];
/** The registry container step 1 starts when neither the offline setup nor a registry is there. */
const REGISTRY_CONTAINER = `${PROJECT}-registry`;
const registryAnswers = () =>
  fetch(`http://${REGISTRY}/v2/`).then(
    (r) => r.status === 200,
    () => false,
  );
/** The idle limit of step 8, in place of idleStopMinutes. */
const IDLE_SECONDS = 8;

const SECRET_VERSION = 'projects/123456789/secrets/modelship-vmtest-basic-auth/versions/1';
const fakeApt = fileURLToPath(new URL('./fake-apt', import.meta.url));
// The first boot's registry refusals: more than the startup script's own bounded retries can outlast.
const REFUSED_PULLS = 24;

const user = 'class';
const password = randomBytes(12).toString('hex');
const auth = { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };

let metadata: FakeMetadataServer;
let registry: FaultyRegistry;
let aptLockHolder: ChildProcess | undefined;
let root = ''; // stands in for /opt/modelship
let scratch = ''; // where GCE's runner would put the fetched startup script; the fake apt's state
let front: string;
let scriptEnv: NodeJS.ProcessEnv;
let metadataArgs: VmMetadataArgs;
const images: Record<'api1' | 'api2' | 'ui' | 'caddy', string> = { api1: '', api2: '', ui: '', caddy: '' };

const docker = (...args: string[]) => run('docker', args, { cwd: repo });

/** Builds an image from the repository and pushes it; returns the pushed immutable `repo@sha256:` ref. */
async function buildAndPush(target: string, localTag: string, remote: string, buildArgs: string[] = []) {
  const args = ['--target', target, ...standInBuildArgs(repo), ...buildArgs];
  await run('docker', ['build', '-q', ...args, '-t', localTag, '.'], { cwd: repo });
  return push(localTag, remote);
}

async function push(localTag: string, remote: string): Promise<string> {
  await docker('tag', localTag, remote);
  await docker('push', remote);
  const digests = (await docker('image', 'inspect', '-f', '{{join .RepoDigests "\\n"}}', remote)).stdout;
  const name = remote.slice(0, remote.lastIndexOf(':'));
  const ref = digests.split('\n').find((d) => d.startsWith(`${name}@sha256:`));
  if (!ref) throw new Error(`no digest for ${remote} after push: ${digests}`);
  return ref;
}

/** Runs the startup script the way GCE does: fetched from the `startup-script` attribute, run as root. */
async function runStartupScript(env: NodeJS.ProcessEnv = {}) {
  const response = await fetch(`${metadata.url}/instance/attributes/startup-script`, {
    headers: { 'Metadata-Flavor': 'Google' },
  });
  const path = join(scratch, 'startup-script');
  await writeFile(path, await response.text());
  await chmod(path, 0o755);
  const started = Date.now();
  const result = await run(path, [], { env: { ...scriptEnv, ...env }, allowFailure: true });
  console.log(
    `--- startup script (exit ${result.code}, ${(Date.now() - started) / 1000}s)\n${result.output}`,
  );
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

interface Container {
  id: string;
  service: string;
  image: string;
  started: string;
}

async function projectContainers(): Promise<Container[]> {
  const ids = (await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`)).stdout
    .split('\n')
    .filter(Boolean);
  if (ids.length === 0) return [];
  const format =
    '{{.Id}} {{index .Config.Labels "com.docker.compose.service"}} {{.Image}} {{.State.StartedAt}}';
  return (await docker('inspect', '-f', format, ...ids)).stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', service = '', image = '', started = ''] = line.split(' ');
      return { id, service, image, started };
    });
}

async function textImage(text: string): Promise<string> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="520" height="100"><rect width="100%" height="100%" fill="white"/><text x="24" y="64" font-family="DejaVu Sans" font-size="40" fill="black">${text}</text></svg>`;
  return (await sharp(Buffer.from(svg)).png().toBuffer()).toString('base64');
}

const watcherPid = async () => (root ? Number(await readFile(join(root, '.state/watcher.pid'), 'utf8')) : 0);
const watcherLog = () => readFile(join(root, 'watcher.log'), 'utf8').catch(() => '');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const rehearsalImageTags = async () =>
  (await docker('images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${REPO}/*`)).stdout
    .split('\n')
    .filter((tag) => tag && !tag.endsWith(':<none>'));

/** Removes everything the rehearsal started, also after a failed or interrupted run. */
async function cleanUp() {
  const pid = await watcherPid().catch(() => 0);
  if (pid > 0 && alive(pid)) {
    process.kill(-pid, 'SIGTERM'); // the watcher runs in its own session: its curl and docker children too
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  }
  const idlePid = root
    ? Number(await readFile(join(root, '.state/idle-stop.pid'), 'utf8').catch(() => '0'))
    : 0;
  if (idlePid > 0 && alive(idlePid)) process.kill(-idlePid, 'SIGTERM');
  const label = `label=com.docker.compose.project=${PROJECT}`;
  const containers = (await docker('ps', '-aq', '--filter', label)).stdout.split('\n').filter(Boolean);
  if (containers.length > 0) await docker('rm', '-f', '-v', ...containers);
  const volumes = (await docker('volume', 'ls', '-q', '--filter', label)).stdout.split('\n').filter(Boolean);
  if (volumes.length > 0) await docker('volume', 'rm', ...volumes);
  const networks = (await docker('network', 'ls', '-q', '--filter', label)).stdout
    .split('\n')
    .filter(Boolean);
  if (networks.length > 0) await docker('network', 'rm', ...networks);
  // the pushed tags and pulled digests (the registry keeps its copies; docker-registry cannot delete)
  const pushed = Object.values(images).filter(Boolean);
  const refs = [...(await rehearsalImageTags()), ...pushed, ...(registry ? pushed.map(viaRegistry) : [])];
  if (refs.length > 0) await run('docker', ['rmi', ...refs], { allowFailure: true });
  await docker('rm', '-f', '-v', REGISTRY_CONTAINER).catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
  if (scratch) await rm(scratch, { recursive: true, force: true });
}

beforeAll(async () => {
  await cleanUp(); // containers and images left by an interrupted run
  root = await mkdtemp(join(tmpdir(), 'modelship-vm-root-'));
  scratch = await mkdtemp(join(tmpdir(), 'modelship-vm-scratch-'));
});

afterAll(async () => {
  aptLockHolder?.kill();
  await cleanUp();
  await metadata?.close();
  await registry?.close();
});

describe.sequential('VM rehearsal', () => {
  it('1. prepares the Docker engine and the local registry', async () => {
    const setup = join(shared, 'docker-offline/setup');
    if (existsSync(setup)) {
      // A machine that reaches no container registry: the setup builds stand-ins for the base images.
      expect((await run(setup, ['--registry', ...BASE_IMAGES])).code).toBe(0);
    } else {
      // A machine with internet: Docker Hub has the base images, and a registry:2 container stands in for
      // Artifact Registry unless one already answers on 127.0.0.1:5000.
      // Images already here (a previous run, or built by hand) are not pulled again.
      for (const image of BASE_IMAGES) {
        const present = await run('docker', ['image', 'inspect', image], { allowFailure: true });
        if (present.code !== 0) await docker('pull', '-q', image);
      }
      if (!(await registryAnswers())) {
        await docker('run', '-d', '--name', REGISTRY_CONTAINER, '-p', `${REGISTRY}:5000`, 'registry:2');
        for (let i = 0; i < 100 && !(await registryAnswers()); i++) await sleep(100);
      }
    }
    expect(await registryAnswers()).toBe(true);
  }, 900_000);

  it('2. builds the images and pushes them to the registry', async () => {
    images.api1 = await buildAndPush('api', 'modelship-api:local', `${REPO}/api:1`);
    images.ui = await buildAndPush('ui', 'modelship-ui:local', `${REPO}/ui:1`);
    // Caddy comes from the registry too: nothing on the "VM" may depend on images it was not sent.
    images.caddy = await push('caddy:2', `${REPO}/caddy:2`);
    for (const ref of Object.values(images).filter(Boolean)) expect(ref).toMatch(/@sha256:[0-9a-f]{64}$/);
  }, 900_000);

  it('3. serves the VM metadata from a fake GCE metadata server', async () => {
    registry = await startFaultyRegistry(REGISTRY);
    metadataArgs = {
      apiImage: viaRegistry(images.api1),
      uiImage: viaRegistry(images.ui),
      registryHost: registry.host,
      // plain HTTP: no certificate authority can reach this machine
      siteAddress: 'http://:80',
      // this machine has no GPU: the script must notice and fall back to CPU
      gpu: true,
      basicAuth: { user, secretVersion: SECRET_VERSION },
      // the limit the deployment sizes for its workers (infra/config.ts), through the real compose
      api: { workers: 1, memoryMiB: apiMemoryMiB(1) },
      version: versionOf(0),
    };
    metadata = await startFakeMetadataServer(renderVmMetadata(metadataArgs));
    metadata.setSecret(SECRET_VERSION, password);
    // the password reaches the VM only through Secret Manager: no hash of it in the metadata
    expect(JSON.stringify(metadata.attributes())).not.toContain(password);
    expect(metadata.attributes()['modelship-env']).not.toMatch(/\$2[aby]\$|BASIC_AUTH_HASH/);
    const [httpPort, httpsPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    front = `http://127.0.0.1:${httpPort}`;
    scriptEnv = {
      ...process.env,
      MODELSHIP_METADATA_URL: metadata.url,
      MODELSHIP_ROOT: root,
      MODELSHIP_SECRETS_URL: metadata.secretsUrl,
      // this shared host gets no OS packages (step 4b runs the script's apt path against a fake apt-get)
      MODELSHIP_SKIP_INSTALL: '1',
      MODELSHIP_NO_SYSTEMD: '1',
      MODELSHIP_HEALTH_TIMEOUT: '300',
      MODELSHIP_RETRY_ATTEMPTS: '2',
      MODELSHIP_RETRY_DELAY: '2',
      COMPOSE_PROJECT_NAME: PROJECT,
      // this host is shared: publish the front and the UI on free ports instead of 80/443/8501
      HTTP_PORT: String(httpPort),
      HTTPS_PORT: String(httpsPort),
      UI_PORT: String(uiPort),
      CADDY_IMAGE: viaRegistry(images.caddy),
      // the idle auto-stop (step 8), when it gets turned on: seconds instead of minutes, a file instead of
      // powering this machine off
      MODELSHIP_IDLE_STOP_SECONDS: String(IDLE_SECONDS),
      MODELSHIP_IDLE_CHECK_SECONDS: '1',
      MODELSHIP_IDLE_STOP_COMMAND: `touch ${join(root, 'powered-off')}`,
    };
    const refused = await fetch(`${metadata.url}/instance/attributes/modelship-env`);
    expect(refused.status).toBe(403);
  });

  it('4. runs the startup script on a bad first boot: the watcher, installed first, finishes the job', async () => {
    // The new service account is refused by the registry (IAM propagation) more often than the script's own
    // bounded retries outlast.
    registry.refuseManifests(REFUSED_PULLS);
    const result = await runStartupScript();
    const lines = result.stdout.trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ modelship: /);
    // the watcher first, then the bounded retries, then the hand-over to the watcher
    expect(lines.findIndex((l) => l.includes('watcher: started'))).toBeLessThan(
      lines.findIndex((l) => l.includes('metadata: ')),
    );
    expect(result.stdout).toContain('pull: attempt 1 failed; retrying in 2s');
    expect(result.stdout).toContain('pull: failed 2 times');
    expect(result.stdout).toContain('startup: not deployed yet; the watcher retries until it is');
    expect(result.code).toBe(1);
    // no GPU here: one clear line says so, and the stack runs on CPU
    expect(lines.filter((l) => l.includes('gpu:'))).toEqual([
      expect.stringMatching(/gpu: NOT USED, starting the API on CPU because no NVIDIA driver/),
    ]);

    // no reboot, no second run: the watcher keeps converging, with backoff, until the stack is healthy
    const healthy = `deploy: healthy, version ${versionOf(0)}\n`;
    for (let i = 0; i < 1200 && !(await watcherLog()).includes(healthy); i++) await sleep(500);
    const log = await watcherLog();
    console.log(`--- watcher log after the first boot\n${log}`);
    expect(log).toContain(healthy);
    expect(log).toContain('watcher: deploy failed; retrying in 1s, or at once when the metadata changes');
    expect(registry.stats.refused).toBe(REFUSED_PULLS);

    expect(alive(await watcherPid())).toBe(true);
    expect((await stat(join(root, '.env'))).mode & 0o777).toBe(0o600);
    // the bcrypt hash was derived on the VM, kept private, and is not in the .env
    expect((await stat(join(root, '.state/basic-auth'))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(root, '.state/basic-auth'), 'utf8')).split('\n')).toEqual([
      SECRET_VERSION,
      expect.stringMatching(/^\$2[aby]\$\d\d\$/),
      '',
    ]);
    expect(await readFile(join(root, '.env'), 'utf8')).not.toContain('BASIC_AUTH_HASH');
    expect(metadata.stats.secretReads).toBe(1);
    const services = (await projectContainers()).map((c) => c.service).sort();
    expect(services).toEqual(['api', 'caddy', 'ui']);
  }, 900_000);

  it('4b. installs packages through a held apt lock and a failing fetch (the first boot of a GPU VM)', async () => {
    // Ubuntu's first-boot updater holds the apt lock for 60 s, and the first fetch fails. The script's own
    // apt path runs against a fake apt-get that honours the lock timeout and installs nothing on this host.
    aptLockHolder = spawn('flock', [join(scratch, 'lock'), 'sleep', '60'], { stdio: 'ignore' });
    const lockHeld = async () =>
      (await run('flock', ['-n', join(scratch, 'lock'), 'true'], { allowFailure: true })).code !== 0;
    for (let i = 0; i < 50 && !(await lockHeld()); i++) await sleep(100);
    expect(await lockHeld()).toBe(true);
    const result = await run(
      'bash',
      ['-c', 'source "$0" lib && apt_install ubuntu-drivers-common', join(root, 'bin/modelship-vm')],
      {
        env: {
          ...scriptEnv,
          MODELSHIP_SKIP_INSTALL: '0',
          PATH: `${fakeApt}:${process.env.PATH}`,
          MODELSHIP_FAKE_APT: scratch,
        },
        allowFailure: true,
      },
    );
    const apt = await readFile(join(scratch, 'log'), 'utf8');
    console.log(`--- apt_install\n${result.output}--- fake apt-get\n${apt}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('install: apt-get update: attempt 1 failed; retrying in 2s');
    const waited = Number(/^waited (\d+)s for the lock: .*update/m.exec(apt)?.[1]);
    expect(waited).toBeGreaterThanOrEqual(50); // apt waited for the lock instead of failing
    expect(apt).toMatch(/^failed: .*update/m);
    expect(apt).toMatch(/^ok: .*install -y --no-install-recommends ubuntu-drivers-common/m);
  }, 300_000);

  it('5. serves the API contract through the front (UI and /api)', async () => {
    expect((await fetch(`${front}/api/health`)).status).toBe(401); // basic auth guards the whole site
    const page = await fetch(`${front}/`, { headers: auth });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');

    const health = await fetch(`${front}/api/health`, { headers: auth });
    expect(await health.json()).toMatchObject({ status: 'ok', version: versionOf(0), models: ['ocr'] });
    expect((await fetch(`${front}/api/ready`, { headers: auth })).status).toBe(200);
    expect(await (await fetch(`${front}/api/models`, { headers: auth })).json()).toContain('ocr');
    const openapi = (await (await fetch(`${front}/api/openapi.json`, { headers: auth })).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/predict', '/v1/models/{name}/predict']),
    );

    const predict = await fetch(`${front}/api/predict`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'ocr', image: await textImage('HELLO MODELSHIP') }),
    });
    expect(predict.status).toBe(200);
    const result = (await predict.json()) as {
      model: string;
      time: number;
      detections: Array<{ text: string }>;
    };
    expect(result.model).toBe('ocr');
    expect(result.detections.map((d) => d.text).join(' ')).toContain('HELLO');

    const bad = await fetch(`${front}/api/predict`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: '{"model": "ocr", "image": ',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toHaveProperty('error');

    // the UI port is published on loopback only: Caddy (HTTPS, basic auth) is the one way in
    const ui = (await projectContainers()).find((c) => c.service === 'ui');
    const uiPort = (await docker('port', ui?.id ?? 'ui', '8501')).stdout.trim();
    expect(uiPort).toBe(`127.0.0.1:${scriptEnv.UI_PORT}`);

    // the .env's API_MEM_LIMIT is the API container's memory limit
    const api = (await projectContainers()).find((c) => c.service === 'api');
    const memory = (await docker('inspect', '-f', '{{.HostConfig.Memory}}', api?.id ?? 'api')).stdout.trim();
    expect(Number(memory)).toBe(apiMemoryMiB(1) * 1024 * 1024);
  }, 120_000);

  it(
    `6. rolls out a new API image ${ROLLOUTS} time(s) through the watcher, while a polling client sees no failure`,
    async () => {
      images.api2 = await buildAndPush('api', `${REPO}/api:2`, `${REPO}/api:2`, [
        '--build-arg',
        `VERSION=${versionOf(1)}`,
      ]);
      expect(images.api2).not.toBe(images.api1);
      const api = [viaRegistry(images.api1), viaRegistry(images.api2)] as const;

      // A metadata-server outage first: it drops the watcher's long-poll, which must back off and come back.
      // (Once the watcher is long-polling: on a busy machine its first pass may still be running.)
      for (let i = 0; i < 600 && metadata.waiting() === 0; i++) await sleep(200);
      expect(metadata.waiting()).toBeGreaterThan(0);
      metadata.failUntil(Date.now() + 6_000);
      for (let i = 0; i < 100 && !(await watcherLog()).includes('retrying in'); i++) await sleep(200);
      await sleep(8_000);
      expect(metadata.stats.failed).toBeGreaterThan(0);
      expect(alive(await watcherPid())).toBe(true);

      const before = await projectContainers();
      const poller = startPoller();
      await sleep(3_000);
      const rollouts: Array<{ version: string; changed: number; rolledOut: number }> = [];
      for (let n = 1; n <= ROLLOUTS; n++) {
        const version = versionOf(n);
        const changed = Date.now();
        const apiImage = n % 2 === 1 ? api[1] : api[0];
        metadata.setAttributes(renderVmMetadata({ ...metadataArgs, apiImage, version }));
        const healthy = `deploy: healthy, version ${version}\n`; // the newline: rehearsal-1 vs rehearsal-10
        for (let i = 0; i < 600 && !(await watcherLog()).includes(healthy); i++) await sleep(500);
        await sleep(3_000); // keep polling a little after the switch
        // rolled out: from this answer on, every client got the new version
        const seen = poller.state.versions.filter((v) => v.at >= changed);
        const lastOld = seen.findLastIndex((v) => v.version !== version);
        const rolledOut = seen[lastOld + 1]?.at ?? 0;
        rollouts.push({ version, changed, rolledOut });
        console.log(
          `rollout ${n}/${ROLLOUTS} (${version}): ${rolledOut ? (rolledOut - changed) / 1000 : 'never'}s after ` +
            `the metadata change; so far ${poller.state.requests} requests, ${poller.state.failures.length} failed`,
        );
        expect(await watcherLog()).toContain(healthy);
      }
      const stats = await poller.stop();
      const log = await watcherLog();
      console.log(`--- watcher log\n${log}`);
      const after = await projectContainers();
      const first = rollouts[0]?.changed ?? 0;
      for (const c of after) {
        console.log(
          `${c.service} started ${(Date.parse(c.started) - first) / 1000}s after the first metadata change`,
        );
      }
      console.log(
        `rollouts: ${ROLLOUTS}, ${stats.requests} requests, ${stats.failures.length} failed, slowest ${stats.slowestMs} ms`,
        stats.failures,
      );
      for (const { changed, rolledOut } of rollouts) {
        expect(rolledOut - changed).toBeGreaterThan(0);
        // within the script's health timeout (MODELSHIP_HEALTH_TIMEOUT): a loaded CI machine takes 60-90 s
        expect(rolledOut - changed).toBeLessThan(300_000);
      }
      expect(log).toContain('watcher: metadata server failed; retrying in');
      // the .env (new digest and version) and the version setting
      expect(log).toContain('watcher: 2 file(s) changed in metadata');
      expect(stats.failures).toEqual([]);
      expect(stats.requests).toBeGreaterThan(20 * ROLLOUTS);
      // An API-only change leaves the UI and the front alone: the same containers, never restarted.
      const kept = (list: Container[]) =>
        list.filter((c) => c.service !== 'api').map(({ id, service, started }) => ({ id, service, started }));
      expect(kept(after)).toEqual(kept(before));
      expect(
        kept(after)
          .map((c) => c.service)
          .sort(),
      ).toEqual(['caddy', 'ui']);

      const running = (await projectContainers()).find((c) => c.service === 'api');
      const last = ROLLOUTS % 2 === 1 ? api[1] : api[0];
      const expected = (await docker('image', 'inspect', '-f', '{{.Id}}', last)).stdout.trim();
      expect(running?.image).toBe(expected);
      // the password did not change: hashed once, on the first boot
      expect(metadata.stats.secretReads).toBe(1);
    },
    900_000 + ROLLOUTS * 120_000,
  );

  it('7. changes nothing when the script runs again, as after a reboot', async () => {
    const before = await projectContainers();
    const pid = await watcherPid();
    const result = await runStartupScript();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('metadata: 0 file(s) changed');
    expect(result.stdout).toContain(`deploy: unchanged, version ${versionOf(ROLLOUTS)} running`);
    expect(result.stdout).toContain(`watcher: running (pid ${pid})`);
    expect(await projectContainers()).toEqual(before);
    console.log(`second run: ${result.seconds}s`);
    const health = await fetch(`${front}/api/health`, { headers: auth });
    expect(await health.json()).toMatchObject({ version: versionOf(ROLLOUTS) });
  }, 300_000);

  it('8. stops itself when idle: predictions keep it up, silence powers it off', async () => {
    const poweredOff = join(root, 'powered-off');
    const idleLog = () => readFile(join(root, 'idle-stop.log'), 'utf8').catch(() => '');
    metadata.setAttributes(
      renderVmMetadata({
        ...metadataArgs,
        apiImage: ROLLOUTS % 2 === 1 ? images.api2 : images.api1,
        version: versionOf(ROLLOUTS),
        idleStopMinutes: 120,
      }),
    );
    for (let i = 0; i < 600 && !(await watcherLog()).includes('idle-stop: started'); i++) await sleep(200);
    expect(await watcherLog()).toContain('idle-stop: started');

    // busy for twice the limit: one prediction per second keeps it up
    const image = await textImage('BUSY');
    const busyUntil = Date.now() + 2 * IDLE_SECONDS * 1000;
    let predictions = 0;
    let lastPrediction = 0;
    while (Date.now() < busyUntil) {
      const response = await fetch(`${front}/api/predict`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ model: 'ocr', image }),
      });
      expect(response.status).toBe(200);
      predictions++;
      // when its answer came, not after the pause that follows (which made the stop look a second early)
      lastPrediction = Date.now();
      await sleep(1_000);
    }
    // the log first: a stat() promise left waiting for it rejects unhandled and fails the run
    const busyLog = await idleLog();
    await expect(stat(poweredOff), `stopped while busy:\n${busyLog}`).rejects.toThrow();

    // then silence: the stop command runs once the limit has passed
    for (let i = 0; i < 300; i++) {
      if (await stat(poweredOff).catch(() => undefined)) break;
      await sleep(200);
    }
    const stoppedAfter = (Date.now() - lastPrediction) / 1000;
    const log = await idleLog();
    console.log(
      `--- idle-stop log\n${log}idle stop: ${predictions} predictions kept it up; stopped ${stoppedAfter}s after the last one (limit ${IDLE_SECONDS}s)`,
    );
    expect((await stat(poweredOff)).isFile()).toBe(true);
    expect(stoppedAfter).toBeGreaterThanOrEqual(IDLE_SECONDS - 1);
    expect(stoppedAfter).toBeLessThan(IDLE_SECONDS + 15);
    expect(log).toMatch(/idle-stop: no prediction request for \d+s \(limit \d+s\); stopping the VM/);
    expect(log).toContain('gcloud compute instances start');
  }, 300_000);

  it('9. retries a failed deploy at once when pulumi up nudges it, and leaves a healthy one alone', async () => {
    // A watcher far into its backoff, as on a VM whose deploy kept failing: it would wait 10 minutes.
    const BACKOFF = 600;
    const old = await watcherPid();
    process.kill(-old, 'SIGTERM');
    for (let i = 0; i < 50 && alive(old); i++) await sleep(100);
    expect(alive(old)).toBe(false);
    // The next deploy cannot read its new basic-auth secret version yet (as while the VM account's access
    // to a new secret propagates): it fails, and the watcher settles into its backoff.
    const version = versionOf(ROLLOUTS + 1);
    const secretVersion = SECRET_VERSION.replace(/\/1$/, '/2');
    metadata.setAttributes(
      renderVmMetadata({
        ...metadataArgs,
        apiImage: ROLLOUTS % 2 === 1 ? images.api2 : images.api1,
        version,
        basicAuth: { user, secretVersion },
        idleStopMinutes: 120,
      }),
    );
    const boot = await runStartupScript({ MODELSHIP_WATCH_BACKOFF: String(BACKOFF) });
    expect(boot.code).toBe(1);
    const waiting = `watcher: deploy failed; retrying in ${BACKOFF}s, or at once when the metadata changes`;
    for (let i = 0; i < 600 && !(await watcherLog()).includes(waiting); i++) await sleep(500);
    expect(await watcherLog()).toContain(waiting);

    // The secret is readable now; the readiness step of `pulumi up` nudges the VM (gcloud compute instances
    // add-metadata: one more key, the rest unchanged).
    metadata.setSecret(secretVersion, password);
    const nudged = Date.now();
    metadata.setAttributes({ ...metadata.attributes(), [NUDGE_KEY]: String(Math.floor(nudged / 1000)) });
    const healthy = `deploy: healthy, version ${version}\n`;
    for (let i = 0; i < 600 && !(await watcherLog()).includes(healthy); i++) await sleep(500);
    const recovered = (Date.now() - nudged) / 1000;
    const log = await watcherLog();
    console.log(
      `--- watcher log (nudge)\n${log.slice(log.indexOf(waiting))}\nrecovered ${recovered}s after the nudge`,
    );
    expect(log).toContain(healthy);
    // the retry starts at once (the log's clock has whole seconds), not after the backoff
    const woke = /(\S+) modelship: watcher: nudged \(\d+\), deploying now/.exec(
      log.slice(log.indexOf(waiting)),
    );
    expect(woke).not.toBeNull();
    expect(Date.parse(woke?.[1] ?? '') - nudged).toBeLessThan(30_000);
    // and the deploy is done long before the backoff would have ended (a rollout takes 20-120 s here)
    expect(recovered).toBeLessThan(BACKOFF / 2);
    const health = await fetch(`${front}/api/health`, { headers: auth });
    expect(await health.json()).toMatchObject({ version });

    // A nudge to a healthy VM converges to what already runs: nothing restarts, nothing is pulled.
    const before = await projectContainers();
    const unchanged = `deploy: unchanged, version ${version} running`;
    const count = async () => (await watcherLog()).split(unchanged).length;
    const seen = await count();
    metadata.setAttributes({ ...metadata.attributes(), [NUDGE_KEY]: 'again' });
    for (let i = 0; i < 300 && (await count()) === seen; i++) await sleep(200);
    expect(await count()).toBe(seen + 1);
    expect(await projectContainers()).toEqual(before);
  }, 900_000);

  it('10. cleans up everything: containers, the watcher, the files', async () => {
    const pid = await watcherPid();
    await cleanUp();
    expect(alive(pid)).toBe(false);
    expect(await projectContainers()).toEqual([]);
    const volumes = await docker(
      'volume',
      'ls',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${PROJECT}`,
    );
    expect(volumes.stdout.trim()).toBe('');
    await expect(stat(root)).rejects.toThrow();
    expect(await rehearsalImageTags()).toEqual([]);
  }, 120_000);
});

/** A client that keeps using the app through the front (health, readiness and a prediction each round). */
function startPoller() {
  const state = {
    stopped: false,
    requests: 0,
    failures: [] as string[],
    slowestMs: 0,
    versions: [] as Array<{ at: number; version: string }>,
  };
  const loop = (async () => {
    const image = await textImage('POLL');
    while (!state.stopped) {
      const calls: Array<[string, RequestInit]> = [
        ['/api/health', { headers: auth }],
        ['/api/ready', { headers: auth }],
        [
          '/api/predict',
          {
            method: 'POST',
            headers: { ...auth, 'Content-Type': 'application/json' },
            body: JSON.stringify({ model: 'ocr', image }),
          },
        ],
      ];
      for (const [path, init] of calls) {
        const started = Date.now();
        state.requests++;
        try {
          const response = await fetch(`${front}${path}`, { ...init, signal: AbortSignal.timeout(60_000) });
          const body = await response.text();
          if (response.status !== 200)
            state.failures.push(`${clock()} ${path}: ${response.status} ${body.slice(0, 200)}`);
          else if (path === '/api/health')
            state.versions.push({
              at: Date.now(),
              version: (JSON.parse(body) as { version: string }).version,
            });
        } catch (error) {
          state.failures.push(`${clock()} ${path}: ${String(error)}`);
        }
        state.slowestMs = Math.max(state.slowestMs, Date.now() - started);
      }
      await sleep(200);
    }
  })();
  return {
    state,
    async stop() {
      state.stopped = true;
      await loop;
      return state;
    },
  };
}

const clock = () => new Date().toISOString().slice(11, 23);

/** The same image, pulled through the fault-injecting registry in front of the local one. */
function viaRegistry(ref: string): string {
  return ref.replace(`${REGISTRY}/`, `${registry.host}/`);
}

// The startup script's metadata handling, engine-free: the script is sourced (`startup.sh lib`) and its
// functions run against the rehearsal's fake GCE metadata server in a temp root. Docker, the GPU stack and
// the deploy itself are covered by the VM rehearsal (npm run test:vm).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeMetadataServer, startFakeMetadataServer } from '../../test/vm/fake-metadata.js';
import { renderVmMetadata, type VmMetadataArgs } from '../vm/metadata.js';

const script = fileURLToPath(new URL('../vm/startup.sh', import.meta.url));

const args: VmMetadataArgs = {
  apiImage: `127.0.0.1:5000/modelship/api@sha256:${'a'.repeat(64)}`,
  uiImage: `127.0.0.1:5000/modelship/ui@sha256:${'b'.repeat(64)}`,
  registryHost: '127.0.0.1:5000',
  siteAddress: 'http://:8080',
  gpu: false,
  basicAuth: { user: 'class', secretVersion: 'projects/123456789/secrets/modelship-basic-auth/versions/1' },
  api: { workers: 2 },
  version: '1.0.0-test',
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server: FakeMetadataServer;
let root: string;

/** Sources the script in bash and runs `commands` with its functions, against the fake server. */
function bash(commands: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', `source "$0" lib\n${commands}`, script],
      { env: { ...process.env, MODELSHIP_METADATA_URL: server.url, MODELSHIP_ROOT: root }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  server = await startFakeMetadataServer();
});
afterAll(() => server.close());
beforeEach(async () => {
  server.setAttributes(renderVmMetadata(args));
  server.failUntil(0);
  root = await mkdtemp(join(tmpdir(), 'modelship-vm-'));
  return () => rm(root, { recursive: true, force: true });
});

describe('sync_files', () => {
  it('writes every file and setting from metadata under the root, the .env private', async () => {
    const run = await bash('sync_files; echo "changed=$FILES_CHANGED"');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const metadata = renderVmMetadata(args);
    for (const line of (metadata['modelship-files'] ?? '').trimEnd().split('\n')) {
      const [key = '', path = ''] = line.split(' ');
      expect(await readFile(join(root, path), 'utf8')).toBe(metadata[key]);
    }
    expect((await stat(join(root, '.env'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(root, 'bin/modelship-vm'), 'utf8')).toBe(metadata['startup-script']);
    expect((await stat(join(root, 'bin/modelship-vm'))).mode & 0o777).toBe(0o755);
    expect(await readFile(join(root, '.state/modelship-registry'), 'utf8')).toBe('127.0.0.1:5000');
    // 7 files from modelship-files, 6 settings, the script itself
    expect(run.stdout).toContain('changed=14');
  });

  it('changes nothing on a second run, and exactly the changed file on a new digest', async () => {
    expect((await bash('sync_files')).code).toBe(0);
    const again = await bash('sync_files; echo "changed=$FILES_CHANGED"');
    expect(again.stdout).toContain('changed=0');

    const next = { ...args, apiImage: args.apiImage.replace(/a{64}/, 'c'.repeat(64)) };
    server.setAttributes(renderVmMetadata(next));
    const update = await bash('sync_files; echo "changed=$FILES_CHANGED"; env_value API_IMAGE');
    expect(update.stdout).toContain('changed=1');
    expect(update.stdout).toContain(next.apiImage);
  });

  it('reads .env values literally', async () => {
    const run = await bash('sync_files; env_value BASIC_AUTH_USER; env_value SITE_ADDRESS; replicas');
    expect(run.stdout.trim().split('\n')).toEqual(['class', 'http://:8080', '1']);
  });

  it('refuses a file path that leaves the root, naming it', async () => {
    server.setAttributes({ ...renderVmMetadata(args), 'modelship-files': 'modelship-env ../../etc/evil\n' });
    const run = await bash('sync_files');
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain("refusing path '../../etc/evil'");
  });

  it('stops on a missing attribute without overwriting what is there', async () => {
    expect((await bash('sync_files')).code).toBe(0);
    const attributes = renderVmMetadata({ ...args, version: '2.0.0' });
    delete attributes['modelship-compose-gpu'];
    server.setAttributes(attributes);
    const run = await bash('sync_files');
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('cannot read attribute modelship-compose-gpu');
    expect(await readFile(join(root, 'docker-compose.gpu.yml'), 'utf8')).toBe(
      renderVmMetadata(args)['modelship-compose-gpu'],
    );
  });

  it('rides out a short metadata-server hiccup (curl retries)', async () => {
    server.failUntil(Date.now() + 2500);
    const run = await bash('sync_files; echo "changed=$FILES_CHANGED"');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('changed=14');
    expect(server.stats.failed).toBeGreaterThan(0);
  });
});

describe('the fake metadata server', () => {
  it('answers 403 without the Metadata-Flavor header, as GCE does', async () => {
    const response = await fetch(`${server.url}/instance/attributes/modelship-version`);
    expect(response.status).toBe(403);
    const ok = await fetch(`${server.url}/instance/attributes/modelship-version`, {
      headers: { 'Metadata-Flavor': 'Google' },
    });
    expect(await ok.text()).toBe(args.version);
  });
});

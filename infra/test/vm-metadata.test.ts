// The VM's instance metadata, as rendered for both the Pulumi program and the rehearsal's fake server.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  COMPOSE_FILES,
  GPU_COMPOSE_FILES,
  lfText,
  NUDGE_KEY,
  renderEnvFile,
  renderStartupScript,
  renderVmMetadata,
  VM_FILES,
  type VmMetadataArgs,
} from '../vm/metadata.js';

const repoFile = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

const args: VmMetadataArgs = {
  apiImage: `europe-west4-docker.pkg.dev/p/modelship/api@sha256:${'a'.repeat(64)}`,
  uiImage: `europe-west4-docker.pkg.dev/p/modelship/ui@sha256:${'b'.repeat(64)}`,
  registryHost: 'europe-west4-docker.pkg.dev',
  siteAddress: '34-1-2-3.sslip.io',
  gpu: true,
  basicAuth: { user: 'class', secretVersion: 'projects/123456789/secrets/modelship-basic-auth/versions/1' },
  api: { workers: 2, replicas: 1 },
  version: '1.4.0',
};

/** Parses the .env the way Compose does for single-quoted values: literally. */
function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trimEnd()
      .split('\n')
      .map((line) => {
        const match = /^([A-Z_]+)='([^']*)'$/.exec(line);
        if (!match?.[1] || match[2] === undefined) throw new Error(`unexpected .env line: ${line}`);
        return [match[1], match[2]];
      }),
  );
}

describe('renderStartupScript', () => {
  it('is infra/vm/startup.sh, a strict bash script', () => {
    const script = renderStartupScript();
    expect(script).toBe(repoFile('infra/vm/startup.sh'));
    expect(script.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(script).toContain('set -euo pipefail');
  });

  it("has the watcher read the key pulumi up's nudge sets, which no deploy carries", () => {
    expect(renderStartupScript()).toContain(`$METADATA_URL/instance/attributes/${NUDGE_KEY}"`);
    // not part of the deployment: a nudge leaves the files, the settings and the fingerprint alone
    expect(Object.keys(renderVmMetadata(args))).not.toContain(NUDGE_KEY);
  });
});

describe('a Windows checkout (CRLF line endings)', () => {
  it('.gitattributes pins LF for the script, the compose files and the Caddyfile', () => {
    const files = ['infra/vm/startup.sh', 'deploy/Caddyfile', ...Object.values(VM_FILES)];
    const out = execFileSync('git', ['check-attr', 'eol', '--', ...files], {
      cwd: new URL('../../', import.meta.url),
      encoding: 'utf8',
    });
    for (const file of files) expect(out).toContain(`${file}: eol: lf`);
  });

  it('renders the same LF metadata from a CRLF copy of the repository files', () => {
    const copy = mkdtempSync(join(tmpdir(), 'modelship-crlf-'));
    try {
      for (const path of ['infra/vm/startup.sh', ...Object.values(VM_FILES)]) {
        mkdirSync(dirname(join(copy, path)), { recursive: true });
        writeFileSync(join(copy, path), repoFile(path).replaceAll('\n', '\r\n'));
      }
      expect(readFileSync(join(copy, 'infra/vm/startup.sh'), 'utf8')).toContain('set -euo pipefail\r\n');
      const fromCrlf = renderVmMetadata(args, pathToFileURL(`${copy}/`));
      expect(fromCrlf).toEqual(renderVmMetadata(args));
      for (const value of Object.values(fromCrlf)) expect(value).not.toContain('\r');
      // and bash parses the script it became
      execFileSync('bash', ['-n'], { input: fromCrlf['startup-script'] });
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('refuses a carriage return that is not part of a CRLF, naming the file and line', () => {
    expect(lfText('deploy/Caddyfile', 'a\r\nb\n')).toBe('a\nb\n');
    expect(() => lfText('deploy/Caddyfile', 'a\nb\rc\n')).toThrow('deploy/Caddyfile:2: a carriage return');
  });
});

describe('renderVmMetadata', () => {
  const metadata = renderVmMetadata(args);

  it('ships the startup script under startup-script (updated in place by GCE)', () => {
    expect(metadata['startup-script']).toBe(renderStartupScript());
  });

  it("ships the repository's compose files and Caddyfile unchanged", () => {
    for (const [key, path] of Object.entries(VM_FILES)) expect(metadata[key]).toBe(repoFile(path));
  });

  it('maps every shipped attribute to a file under the VM root', () => {
    const lines = metadata['modelship-files']?.trimEnd().split('\n') ?? [];
    expect(lines).toEqual([
      ...Object.entries(VM_FILES).map(([k, p]) => `${k} ${p}`),
      'modelship-env .env',
      'modelship-ops-agent ops-agent.yaml',
    ]);
    for (const line of lines) expect(metadata[line.split(' ')[0] ?? '']).toBeDefined();
  });

  it('lists the compose files, with the GPU overlay apart', () => {
    expect(metadata['modelship-compose-files']).toBe('docker-compose.yml docker-compose.caddy.yml');
    expect(metadata['modelship-compose-gpu-files']).toBe('docker-compose.gpu.yml');
    for (const file of [...COMPOSE_FILES, ...GPU_COMPOSE_FILES])
      expect(repoFile(file)).toContain('services:');
  });

  it('carries the digests, site, auth and settings in the compose .env', () => {
    expect(parseEnv(metadata['modelship-env'] ?? '')).toEqual({
      API_IMAGE: args.apiImage,
      UI_IMAGE: args.uiImage,
      SITE_ADDRESS: '34-1-2-3.sslip.io',
      APP_VERSION: '1.4.0',
      WORKERS: '2',
      API_REPLICAS: '1',
      UI_BIND: '127.0.0.1',
      PROXY_METRICS: 'true',
      BASIC_AUTH_USER: 'class',
    });
  });

  it('names the basic-auth secret version and carries no hash of the password (the VM derives it)', () => {
    expect(metadata['modelship-basic-auth-secret']).toBe(args.basicAuth?.secretVersion);
    // (the shipped repository files name BASIC_AUTH_HASH and hold the Caddyfile's locked-site fallback)
    const settings = Object.entries(metadata).filter(
      ([key]) => !(key in VM_FILES) && key !== 'startup-script',
    );
    expect(JSON.stringify(settings)).not.toMatch(/\$2[aby]\$|BASIC_AUTH_HASH/);
    expect(renderVmMetadata({ ...args, basicAuth: undefined })['modelship-basic-auth-secret']).toBe('none');
  });

  it('carries the registry, GPU wish and version as their own attributes', () => {
    expect(metadata['modelship-registry']).toBe('europe-west4-docker.pkg.dev');
    expect(metadata['modelship-gpu']).toBe('true');
    expect(metadata['modelship-version']).toBe('1.4.0');
    expect(renderVmMetadata({ ...args, gpu: false })['modelship-gpu']).toBe('false');
  });

  it("sets each API container's memory limit when the deployment sizes it", () => {
    const env = parseEnv(renderEnvFile({ ...args, api: { memoryMiB: 2432 } }));
    expect(env.API_MEM_LIMIT).toBe('2432m');
    expect(() => renderEnvFile({ ...args, api: { memoryMiB: 0 } })).toThrow(
      /api\.memoryMiB: must be a positive integer/,
    );
    // the compose file reads the same variable
    expect(repoFile('docker-compose.yml')).toMatch(/mem_limit: \$\{API_MEM_LIMIT:-2g\}/);
  });

  it('leaves optional settings out of the .env when unset', () => {
    const env = parseEnv(renderEnvFile({ ...args, basicAuth: undefined, api: {} }));
    expect(Object.keys(env).sort()).toEqual([
      'API_IMAGE',
      'APP_VERSION',
      'PROXY_METRICS',
      'SITE_ADDRESS',
      'UI_BIND',
      'UI_IMAGE',
    ]);
  });

  it('changes only what differs between two deploys (a new API digest)', () => {
    const next = renderVmMetadata({ ...args, apiImage: args.apiImage.replace(/a{64}/, 'c'.repeat(64)) });
    const changed = Object.keys(next).filter((key) => next[key] !== metadata[key]);
    expect(changed).toEqual(['modelship-env']);
  });

  it.each([
    [{ apiImage: '' }, 'apiImage: must not be empty'],
    [{ uiImage: 'ui image' }, 'uiImage: must not contain whitespace'],
    [{ registryHost: ' ' }, 'registryHost: must not be empty'],
    [{ siteAddress: 'a.example\nb.example' }, 'siteAddress: must not contain whitespace'],
    [{ version: '' }, 'version: must not be empty'],
    [{ basicAuth: { user: "it's", secretVersion: 'v' } }, 'BASIC_AUTH_USER: must not contain a single quote'],
    [{ basicAuth: { user: '', secretVersion: 'v' } }, 'basicAuth.user: must not be empty'],
    [{ basicAuth: { user: 'class', secretVersion: '' } }, 'basicAuth.secretVersion: must not be empty'],
    [{ api: { workers: 0 } }, 'api.workers: must be a positive integer, got 0'],
    [{ api: { replicas: 1.5 } }, 'api.replicas: must be a positive integer, got 1.5'],
  ] as Array<[Partial<VmMetadataArgs>, string]>)('refuses %o', (bad, message) => {
    expect(() => renderVmMetadata({ ...args, ...bad })).toThrow(message);
  });
});

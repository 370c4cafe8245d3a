// The VM's instance metadata: the startup script plus every file and setting it reads. Pure functions, so
// the Pulumi program (the cloud) and the VM rehearsal's fake metadata server (test/vm) serve the very same
// attributes. The compose files and the Caddyfile are the repository's own, shipped unchanged.
import { readFileSync } from 'node:fs';
import { OPS_AGENT_DEFAULTS, renderOpsAgentConfig } from './ops-agent.js';

export interface VmMetadataArgs {
  /** Immutable image ref, e.g. europe-west4-docker.pkg.dev/p/modelship/api@sha256:... */
  apiImage: string;
  uiImage: string;
  /** `docker login` target, e.g. europe-west4-docker.pkg.dev */
  registryHost: string;
  /** Caddy site address: a hostname (34-1-2-3.sslip.io, app.example.com) or, in tests, `http://:8080`. */
  siteAddress: string;
  /** Start the API with the GPU overlay when the VM's GPU stack works. */
  gpu: boolean;
  /** Basic auth for the whole site: the user, and the Secret Manager version holding the password. The VM
   * reads the password with its own identity and derives the bcrypt hash itself. */
  basicAuth?: { user: string; secretVersion: string };
  /** Workers and replicas of the API; `memoryMiB`: each replica's memory limit (API_MEM_LIMIT). */
  api: { workers?: number; replicas?: number; memoryMiB?: number };
  /** Deployed app version, reported by the API's /health; the script's readiness check waits for it. */
  version: string;
  /** The GCP project: the API puts it in its log lines' trace links. */
  project?: string;
  /** Power the VM off after this many minutes without a prediction request (infra/vm/operate.sh); 0 = off. */
  idleStopMinutes?: number;
}

/** The key `pulumi up` sets to make the VM's deploy watcher retry now (infra/readiness/nudge.ts). It is
 * not part of the deployment: a nudge makes the watcher converge, and a healthy VM finds nothing to do. */
export const NUDGE_KEY = 'modelship-nudge';

/** Repository files shipped to the VM: metadata key -> path under the VM's root (/opt/modelship). */
export const VM_FILES = {
  'modelship-compose': 'docker-compose.yml',
  'modelship-compose-caddy': 'docker-compose.caddy.yml',
  'modelship-compose-gpu': 'docker-compose.gpu.yml',
  'modelship-caddyfile': 'deploy/Caddyfile',
  // the Ops Agent and the idle auto-stop, run by the startup script after each deploy
  'modelship-operate': 'infra/vm/operate.sh',
} as const;

/** Compose files always used on the VM, and the overlay added when the GPU works (paths from VM_FILES). */
export const COMPOSE_FILES = [VM_FILES['modelship-compose'], VM_FILES['modelship-compose-caddy']] as const;
export const GPU_COMPOSE_FILES = [VM_FILES['modelship-compose-gpu']] as const;

const REPO_ROOT = new URL('../../', import.meta.url);

/**
 * A repository file as the VM must get it: with LF line endings. A Windows checkout (core.autocrlf) turns
 * them into CRLF, and `#!/usr/bin/env bash\r` or `set -euo pipefail\r` would kill the script on its first
 * line. .gitattributes pins LF for these files; this covers a checkout made before it, or a copy made by an
 * editor. A CR anywhere else is refused.
 */
export function lfText(path: string, text: string): string {
  const lf = text.replaceAll('\r\n', '\n');
  const line = lf.split('\n').findIndex((l) => l.includes('\r'));
  if (line >= 0) throw new Error(`${path}:${line + 1}: a carriage return (CR) that is not part of a CRLF`);
  return lf;
}

const readRepoFile = (path: string, root: URL): string =>
  lfText(path, readFileSync(new URL(path, root), 'utf8'));

/** infra/vm/startup.sh: runs as root on every boot, and (as `startup.sh watch`) as the deploy watcher.
 * `root`: the repository checkout to read it from (tests render from a CRLF copy). */
export function renderStartupScript(root: URL = REPO_ROOT): string {
  return readRepoFile('infra/vm/startup.sh', root);
}

// Values go into a compose .env file single-quoted, which both Compose v1 and v2 take literally (a bcrypt
// hash is full of `$`). A quote or a line break could not be represented, so it is refused.
function envValue(name: string, value: string): string {
  if (/['\n\r]/.test(value)) throw new Error(`${name}: must not contain a single quote or a line break`);
  return `'${value}'`;
}

function positiveInt(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new Error(`${name}: must be a positive integer, got ${value}`);
  }
  return value;
}

/** The compose `.env` the VM writes to /opt/modelship/.env. */
export function renderEnvFile(args: VmMetadataArgs): string {
  const vars: Record<string, string | number | undefined> = {
    API_IMAGE: args.apiImage,
    UI_IMAGE: args.uiImage,
    SITE_ADDRESS: args.siteAddress,
    APP_VERSION: args.version,
    WORKERS: positiveInt('api.workers', args.api.workers),
    API_REPLICAS: positiveInt('api.replicas', args.api.replicas),
    // sized by the deployment for its workers (app/api/src/memory-budget.ts); unset: compose's default
    API_MEM_LIMIT:
      args.api.memoryMiB === undefined ? undefined : `${positiveInt('api.memoryMiB', args.api.memoryMiB)}m`,
    // the UI port stays on loopback: the Caddy front (HTTPS, basic auth) is the only way in
    UI_BIND: '127.0.0.1',
    // the Ops Agent scrapes the API's /metrics through that loopback port (infra/vm/ops-agent.ts)
    PROXY_METRICS: 'true',
    BASIC_AUTH_USER: args.basicAuth?.user,
    GOOGLE_CLOUD_PROJECT: args.project,
    // read by infra/vm/operate.sh, not by compose
    IDLE_STOP_MINUTES: args.idleStopMinutes
      ? positiveInt('idleStopMinutes', args.idleStopMinutes)
      : undefined,
  };
  return `${Object.entries(vars)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${envValue(name, String(value))}`)
    .join('\n')}\n`;
}

const required = (name: string, value: string): string => {
  if (!value.trim()) throw new Error(`${name}: must not be empty`);
  if (/\s/.test(value)) throw new Error(`${name}: must not contain whitespace, got "${value}"`);
  return value;
};

/** Rendered attributes written under the root too: metadata key -> path. */
const RENDERED_FILES = [
  ['modelship-env', '.env'],
  ['modelship-ops-agent', 'ops-agent.yaml'],
] as const;

/** Every instance metadata attribute of the VM, `startup-script` included. */
export function renderVmMetadata(args: VmMetadataArgs, root: URL = REPO_ROOT): Record<string, string> {
  required('apiImage', args.apiImage);
  required('uiImage', args.uiImage);
  required('registryHost', args.registryHost);
  required('siteAddress', args.siteAddress);
  required('version', args.version);
  if (args.basicAuth) {
    required('basicAuth.user', args.basicAuth.user);
    required('basicAuth.secretVersion', args.basicAuth.secretVersion);
  }
  const files = Object.fromEntries(
    Object.entries(VM_FILES).map(([key, path]) => [key, readRepoFile(path, root)]),
  );
  return {
    'startup-script': renderStartupScript(root),
    ...files,
    'modelship-env': renderEnvFile(args),
    'modelship-ops-agent': renderOpsAgentConfig({ ...OPS_AGENT_DEFAULTS, gpu: args.gpu }),
    // `<attribute> <path>` lines: which attribute the script writes to which file under its root
    'modelship-files': `${[...Object.entries(VM_FILES), ...RENDERED_FILES].map((e) => e.join(' ')).join('\n')}\n`,
    'modelship-compose-files': COMPOSE_FILES.join(' '),
    'modelship-compose-gpu-files': GPU_COMPOSE_FILES.join(' '),
    'modelship-registry': args.registryHost,
    'modelship-gpu': String(args.gpu),
    'modelship-version': args.version,
    // what the VM hashes BASIC_AUTH_HASH from: a Secret Manager version name, or `none`
    'modelship-basic-auth-secret': args.basicAuth?.secretVersion ?? 'none',
  };
}

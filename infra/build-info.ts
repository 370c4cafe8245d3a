// What the pushed images' OCI labels say, read from the checkout that `pulumi up` runs in:
// org.opencontainers.image.revision is a digest of the files each image is built from, not the git commit.
// A commit that touches neither image (the README, infra/, tests) changes no build argument, so Docker's
// cache rebuilds the same image, its digest stays, and the VM is not rolled; a change under app/api changes
// the API's revision and not the UI's. The digest covers the bytes Docker would send: a checkout with CRLF
// line endings (Windows' core.autocrlf) builds different files into the image, so it gets another revision.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import dockerignoreModule from '@balena/dockerignore';

// A CommonJS module whose `module.exports` is the factory; its types declare it as the default export.
const dockerignore = dockerignoreModule as unknown as typeof dockerignoreModule.default;

export type ImageName = 'api' | 'ui';

export interface BuildInfo {
  /** Per image, `sha256:<hex>` over its build inputs (see imageRevision). */
  revisions: Record<ImageName, string>;
  /** The repository's remote URL (credentials removed), "unknown" outside a git clone. */
  source: string;
}

const SHARED_INPUTS = [
  'package.json',
  'package-lock.json',
  '.npmrc',
  'tsconfig.base.json',
  'app/api/package.json',
  'app/ui/package.json',
  'deploy/healthcheck.mjs',
];

/**
 * The build-context paths (files or folders) each image is built from besides the Dockerfile: the COPY
 * sources of its targets' stages (infra/test/dockerfiles.test.ts keeps the two in step). The CPU and GPU API
 * targets share theirs.
 */
export const IMAGE_INPUTS: Record<ImageName, readonly string[]> = {
  api: [...SHARED_INPUTS, 'app/api', 'models'],
  ui: [
    ...SHARED_INPUTS,
    'app/ui',
    'app/api/tsconfig.build.json',
    'app/api/src/http-server.ts',
    'app/api/src/shared-env.ts',
    'app/api/src/decimal.ts',
  ],
};

/** The files under `inputs` that Docker sends in the build context of `repoRoot` (.dockerignore applied). */
export function contextFiles(repoRoot: string, inputs: readonly string[]): string[] {
  const ignoreFile = join(repoRoot, '.dockerignore');
  const rules = existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '';
  const ignore = dockerignore({ ignorecase: false }).add(rules);
  // A folder can be skipped whole when it is ignored and no `!` rule could let a file inside back in.
  const negations = rules
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('!'));
  const files = new Set<string>();
  const visit = (path: string) => {
    const full = join(repoRoot, path);
    if (!existsSync(full)) return;
    if (lstatSync(full).isDirectory()) {
      if (ignore.ignores(path) && !negations.some((n) => n.slice(1).startsWith(`${path}/`))) return;
      for (const entry of readdirSync(full)) visit(`${path}/${entry}`);
    } else if (!ignore.ignores(path)) {
      files.add(path);
    }
  };
  for (const input of inputs) visit(relative(repoRoot, join(repoRoot, input)));
  return [...files].sort();
}

/** `sha256:<hex>` over the path and content of every context file the image is built from. */
export function imageRevision(repoRoot: string, image: ImageName): string {
  const hash = createHash('sha256');
  // Docker sends the Dockerfile whatever .dockerignore says.
  for (const path of ['Dockerfile', ...contextFiles(repoRoot, IMAGE_INPUTS[image])]) {
    const full = join(repoRoot, path);
    const content = lstatSync(full).isSymbolicLink() ? readlinkSync(full) : readFileSync(full);
    hash.update(`${path}\0${createHash('sha256').update(content).digest('hex')}\n`);
  }
  return `sha256:${hash.digest('hex')}`;
}

function gitRemote(repoRoot: string): string | undefined {
  try {
    const url = execFileSync('git', ['-C', repoRoot, 'remote', 'get-url', 'origin'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    // Never publish credentials embedded in a remote URL (https://user:token@host/...).
    return url.replace(/\/\/[^/@]+@/, '//') || undefined;
  } catch {
    return undefined;
  }
}

export function buildInfo(repoRoot: string): BuildInfo {
  return {
    revisions: { api: imageRevision(repoRoot, 'api'), ui: imageRevision(repoRoot, 'ui') },
    source: gitRemote(repoRoot) ?? 'unknown',
  };
}

/** The app's version, from the root package.json. */
export function packageVersion(repoRoot: string): string {
  return JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')).version;
}

// OCI labels for the pushed images (org.opencontainers.image.revision/source), read from the checkout that
// `pulumi up` runs in. A tarball without git still deploys, labelled "unknown".
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface BuildInfo {
  revision: string;
  source: string;
}

function git(repoRoot: string, args: string[]): string | undefined {
  try {
    return (
      execFileSync('git', ['-C', repoRoot, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

export function buildInfo(repoRoot: string): BuildInfo {
  const dirty = git(repoRoot, ['status', '--porcelain', '--untracked-files=no']) ? '-dirty' : '';
  const revision = git(repoRoot, ['rev-parse', 'HEAD']);
  // Never publish credentials embedded in a remote URL (https://user:token@host/...).
  const source = git(repoRoot, ['remote', 'get-url', 'origin'])?.replace(/\/\/[^/@]+@/, '//');
  return { revision: revision ? `${revision}${dirty}` : 'unknown', source: source ?? 'unknown' };
}

/** The app's version, from the root package.json. */
export function packageVersion(repoRoot: string): string {
  return JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')).version;
}

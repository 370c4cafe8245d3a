// `npm run images:bump` against a real registry: the local one on 127.0.0.1:5000 holds stand-ins of the
// pinned images under their tags, and the script must move the pins to the digests the registry reports.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPins } from '../../infra/image-pins.js';
import { docker, run } from './docker.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const REGISTRY = '127.0.0.1:5000/modelship-bump-test';
const stale = `sha256:${'0'.repeat(64)}`;
const site = mkdtempSync(join(tmpdir(), 'modelship-bump-'));
const pushed: Record<string, string> = {};

/** Pushes a local image under `remote` and returns the digest the registry gave it. */
async function push(local: string, remote: string): Promise<string> {
  await docker('tag', local, remote);
  await docker('push', remote);
  const digests = await docker('image', 'inspect', '-f', '{{join .RepoDigests "\\n"}}', remote);
  const name = remote.slice(0, remote.lastIndexOf(':'));
  const digest = digests
    .split('\n')
    .find((d) => d.startsWith(`${name}@`))
    ?.slice(name.length + 1);
  if (!digest) throw new Error(`no digest for ${remote}: ${digests}`);
  return digest;
}

const bump = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', join(repo, 'scripts/images-bump.ts'), '--root', site, ...args], {
    cwd: repo,
  });

beforeAll(async () => {
  pushed.node = await push('node:22-bookworm-slim', `${REGISTRY}/node:22-bookworm-slim`);
  pushed.caddy = await push('caddy:2', `${REGISTRY}/caddy:2`);
  // The pin files as the repository writes them, pointing at the local registry with stale digests.
  writeFileSync(
    join(site, 'Dockerfile'),
    `FROM \${NODE_IMAGE:-${REGISTRY}/node:22-bookworm-slim@${stale}} AS node\nRUN true\n`,
  );
  writeFileSync(
    join(site, 'docker-compose.caddy.yml'),
    `services:\n  caddy:\n    image: \${CADDY_IMAGE:-${REGISTRY}/caddy:2@${stale}}\n`,
  );
}, 300_000);

afterAll(() => rmSync(site, { recursive: true, force: true }));

describe('npm run images:bump', () => {
  it('--check reports stale pins with exit 1 and changes nothing', async () => {
    await expect(bump('--check')).rejects.toThrow(/NODE_IMAGE .* -> sha256:/);
    expect(readPins(readFileSync(join(site, 'Dockerfile'), 'utf8'))[0]?.digest).toBe(stale);
  });

  it('moves every pin to the digest its tag has in the registry, in place', async () => {
    await bump();
    expect(readPins(readFileSync(join(site, 'Dockerfile'), 'utf8'))).toEqual([
      { variable: 'NODE_IMAGE', image: `${REGISTRY}/node:22-bookworm-slim`, digest: pushed.node },
    ]);
    const compose = readFileSync(join(site, 'docker-compose.caddy.yml'), 'utf8');
    expect(compose).toBe(
      `services:\n  caddy:\n    image: \${CADDY_IMAGE:-${REGISTRY}/caddy:2@${pushed.caddy}}\n`,
    );
    expect(await bump('--check')).toMatch(/is current/);
  });

  it('fails clearly on a tag the registry does not have', async () => {
    writeFileSync(join(site, 'Dockerfile'), `FROM \${NODE_IMAGE:-${REGISTRY}/node:no-such-tag@${stale}}\n`);
    await expect(bump('--check')).rejects.toThrow(/node:no-such-tag: .* answered 404/);
  });
});

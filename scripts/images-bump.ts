// npm run images:bump [-- --root DIR] [-- --check]
// Moves every pinned base image (infra/image-pins.ts) to the digest its tag points to now, asking the
// registries' v2 API: for a multi-platform image, the index (manifest list) digest, so that every platform
// keeps resolving. Review the diff, rebuild (npm run test:docker) and commit. `--check` only reports.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PIN_FILES, parseImageName, readPins, rewritePins } from '../infra/image-pins.js';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Registries on this host speak plain HTTP, as Docker allows for them. */
const isLocal = (host: string) => /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(host);

/** An anonymous pull token, from the realm that a 401's `WWW-Authenticate: Bearer ...` names. */
async function bearerToken(challenge: string): Promise<string> {
  const params = Object.fromEntries(
    [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map(([, key = '', value = '']) => [key, value]),
  );
  if (!/^bearer /i.test(challenge) || !params.realm)
    throw new Error(`unsupported auth challenge: ${challenge}`);
  const url = new URL(params.realm);
  for (const key of ['service', 'scope']) if (params[key]) url.searchParams.set(key, params[key]);
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`${url.origin}: token request answered ${res.status}`);
  const body = (await res.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (!token) throw new Error(`${url.origin}: no token in the answer`);
  return token;
}

/** The digest `image` (registry/repository:tag) points to now. */
export async function currentDigest(image: string): Promise<string> {
  const { registry, repository, tag } = parseImageName(image);
  const host = registry === 'docker.io' ? 'registry-1.docker.io' : registry;
  const url = `${isLocal(host) ? 'http' : 'https'}://${host}/v2/${repository}/manifests/${tag}`;
  const head = (authorization?: string) =>
    fetch(url, {
      method: 'HEAD',
      headers: { accept: ACCEPT, ...(authorization && { authorization }) },
      signal: AbortSignal.timeout(30_000),
    });
  let res = await head();
  const challenge = res.headers.get('www-authenticate');
  if (res.status === 401 && challenge) res = await head(`Bearer ${await bearerToken(challenge)}`);
  if (!res.ok) throw new Error(`${image}: ${url} answered ${res.status}`);
  const digest = res.headers.get('docker-content-digest') ?? '';
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`${image}: no digest in the answer (${digest})`);
  return digest;
}

async function main() {
  const { values } = parseArgs({
    options: { root: { type: 'string', default: '.' }, check: { type: 'boolean', default: false } },
  });
  const root = resolve(values.root);
  let stale = 0;
  for (const file of PIN_FILES) {
    const path = join(root, file);
    const text = readFileSync(path, 'utf8');
    const digests = new Map<string, string>();
    for (const pin of readPins(text)) {
      const digest = await currentDigest(pin.image);
      if (digest === pin.digest) {
        console.log(`${file}: ${pin.variable} ${pin.image} is current (${digest})`);
        continue;
      }
      stale++;
      console.log(`${file}: ${pin.variable} ${pin.image} ${pin.digest} -> ${digest}`);
      digests.set(pin.variable, digest);
    }
    if (!values.check && digests.size > 0) writeFileSync(path, rewritePins(text, digests));
  }
  if (values.check && stale > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: Error) => {
    console.error(`images:bump: ${error.message}`);
    process.exit(1);
  });
}

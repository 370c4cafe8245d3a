// A fake GCE metadata server for the VM rehearsal: the paths, the `Metadata-Flavor: Google` check,
// `wait_for_change` long-polls with etags, and the service-account token endpoint that the startup script
// and its watcher use. Attributes are whatever the test sets, normally `renderVmMetadata(...)`'s output.
// It also plays Secret Manager's `versions/N:access` (under /secretmanager/v1), which answers only to a
// token this server issued, as the real one answers only to the VM's service account.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeMetadataServer {
  /** Base URL to use as MODELSHIP_METADATA_URL, e.g. http://127.0.0.1:41234/computeMetadata/v1 */
  url: string;
  /** Replaces all instance attributes; wakes pending `wait_for_change` requests. */
  setAttributes(attributes: Record<string, string>): void;
  attributes(): Record<string, string>;
  /** `wait_for_change` long-polls being held open right now. */
  waiting(): number;
  /** A metadata-server hiccup: drops open connections (pending long-polls too) and answers 503 to every
   * request until `until` (epoch ms). */
  failUntil(until: number): void;
  /** Base URL of the fake Secret Manager API, to use as MODELSHIP_SECRETS_URL. */
  secretsUrl: string;
  /** Stores a secret version's value, e.g. `projects/1/secrets/x/versions/1`. */
  setSecret(versionName: string, value: string): void;
  /** Requests seen so far, by path (without the query), and how many were refused. */
  stats: {
    requests: Map<string, number>;
    failed: number;
    forbidden: number;
    tokens: number;
    secretReads: number;
    secretRefused: number;
  };
  close(): Promise<void>;
}

const BASE = '/computeMetadata/v1';
const SECRETS = '/secretmanager/v1/';
const MAX_WAIT_SECONDS = 3600;

const etagOf = (attributes: Record<string, string>): string =>
  createHash('sha256').update(JSON.stringify(attributes)).digest('hex').slice(0, 16);

export async function startFakeMetadataServer(
  initial: Record<string, string> = {},
): Promise<FakeMetadataServer> {
  let attributes = { ...initial };
  let etag = etagOf(attributes);
  let failingUntil = 0;
  let waiters: Array<() => void> = [];
  const stats = {
    requests: new Map<string, number>(),
    failed: 0,
    forbidden: 0,
    tokens: 0,
    secretReads: 0,
    secretRefused: 0,
  };
  const secrets = new Map<string, string>();
  const issued = new Set<string>();

  const send = (res: ServerResponse, status: number, body: string, type = 'application/text') => {
    res.writeHead(status, { 'Content-Type': type, ETag: etag, 'Metadata-Flavor': 'Google' });
    res.end(body);
  };

  // Resolves when the attributes' etag differs from `lastEtag`, or after `seconds`.
  const waitForChange = (lastEtag: string, seconds: number, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      if (lastEtag !== etag) return resolve();
      const done = () => {
        clearTimeout(timer);
        waiters = waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, seconds * 1000);
      waiters.push(done);
      res.on('close', done);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://metadata.google.internal');
    stats.requests.set(url.pathname, (stats.requests.get(url.pathname) ?? 0) + 1);
    if (Date.now() < failingUntil) {
      stats.failed++;
      return send(res, 503, 'metadata server unavailable (test hiccup)');
    }
    if (url.pathname.startsWith(SECRETS) && url.pathname.endsWith(':access')) {
      const name = decodeURIComponent(url.pathname.slice(SECRETS.length, -':access'.length));
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!issued.has(token)) {
        stats.secretRefused++;
        return send(res, 403, '{"error":{"code":403,"status":"PERMISSION_DENIED"}}', 'application/json');
      }
      const value = secrets.get(name);
      if (value === undefined)
        return send(res, 404, '{"error":{"code":404,"status":"NOT_FOUND"}}', 'application/json');
      stats.secretReads++;
      const data = Buffer.from(value).toString('base64');
      return send(res, 200, JSON.stringify({ name, payload: { data, dataCrc32c: '0' } }), 'application/json');
    }
    // As on GCE: the header is required, and proxied requests are refused.
    if (req.headers['metadata-flavor'] !== 'Google' || req.headers['x-forwarded-for']) {
      stats.forbidden++;
      return send(res, 403, 'Missing Metadata-Flavor:Google header.', 'text/html');
    }
    if (req.method !== 'GET') return send(res, 405, 'method not allowed');

    if (url.pathname === `${BASE}/instance/service-accounts/default/token`) {
      stats.tokens++;
      issued.add(`ya29.fake-${stats.tokens}`);
      const token = JSON.stringify({
        access_token: `ya29.fake-${stats.tokens}`,
        expires_in: 3599,
        token_type: 'Bearer',
      });
      return send(res, 200, token, 'application/json');
    }

    const prefix = `${BASE}/instance/attributes/`;
    if (url.pathname !== prefix.slice(0, -1) && !url.pathname.startsWith(prefix)) {
      return send(res, 404, 'not found', 'text/html');
    }
    if (url.searchParams.get('wait_for_change') === 'true') {
      const seconds = Number(url.searchParams.get('timeout_sec') ?? MAX_WAIT_SECONDS);
      if (!Number.isFinite(seconds) || seconds <= 0) return send(res, 400, 'bad timeout_sec');
      await waitForChange(
        url.searchParams.get('last_etag') ?? etag,
        Math.min(seconds, MAX_WAIT_SECONDS),
        res,
      );
      if (res.destroyed) return;
    }
    const key = decodeURIComponent(url.pathname.slice(prefix.length));
    if (key === '' || key === '/') {
      if (url.searchParams.get('recursive') === 'true') {
        return send(res, 200, JSON.stringify(attributes), 'application/json');
      }
      return send(res, 200, Object.keys(attributes).join('\n'));
    }
    const value = attributes[key];
    return value === undefined ? send(res, 404, 'not found', 'text/html') : send(res, 200, value);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${BASE}`,
    secretsUrl: `http://127.0.0.1:${port}${SECRETS.slice(0, -1)}`,
    setSecret(versionName, value) {
      secrets.set(versionName, value);
    },
    setAttributes(next) {
      attributes = { ...next };
      const nextEtag = etagOf(attributes);
      if (nextEtag === etag) return;
      etag = nextEtag;
      for (const wake of [...waiters]) wake();
    },
    attributes: () => ({ ...attributes }),
    waiting: () => waiters.length,
    failUntil(until) {
      failingUntil = until;
      server.closeAllConnections();
    },
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const wake of [...waiters]) wake();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// A registry in front of the rehearsal's local one (127.0.0.1:5000) that refuses the next N manifest
// requests with 403, as Artifact Registry does while a new VM service account's reader role is still
// propagating through IAM (about 2 minutes, sometimes 7 or more). Everything else is passed through.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultyRegistry {
  /** host:port to use as the registry host in image refs and `docker login` */
  host: string;
  /** Refuse the next `count` manifest requests. */
  refuseManifests(count: number): void;
  stats: { refused: number; proxied: number };
  close(): Promise<void>;
}

const DENIED = JSON.stringify({
  errors: [
    {
      code: 'DENIED',
      message:
        "Permission 'artifactregistry.repositories.downloadArtifacts' denied on resource (or it may not exist).",
    },
  ],
});

export async function startFaultyRegistry(upstream = '127.0.0.1:5000'): Promise<FaultyRegistry> {
  let refusing = 0;
  const stats = { refused: 0, proxied: 0 };
  const server = createServer((req, res) => {
    if (refusing > 0 && /^\/v2\/.+\/manifests\//.test(req.url ?? '')) {
      refusing--;
      stats.refused++;
      res.writeHead(403, {
        'Content-Type': 'application/json',
        'Docker-Distribution-Api-Version': 'registry/2.0',
      });
      res.end(DENIED);
      return;
    }
    stats.proxied++;
    const [hostname, port] = upstream.split(':');
    const forward = request(
      {
        hostname,
        port: Number(port),
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(String(error));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    refuseManifests(count) {
      refusing = count;
    },
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

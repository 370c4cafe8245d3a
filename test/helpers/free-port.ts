// Shared by the UI, browser, Docker and VM suites.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The kernel's ephemeral range, from which it picks ports for `listen(0)` and for outgoing connections. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return [Number(low), Number(high)];
  } catch {
    return [32768, 60999]; // Linux's default
  }
}

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (for a server or a published container port).
 * It is picked below the ephemeral range: a port from that range can be taken, between this call and
 * the server's start, by any `listen(0)` or outgoing connection, and a client retrying a connection to
 * it while nothing listens can even connect to itself (TCP self-connect), which hangs the test.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const from = 10_000;
  if (low - from > 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await tryListen(from + Math.floor(Math.random() * (low - from)));
      if (port !== undefined) return port;
    }
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}

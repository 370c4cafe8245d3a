// The HTTP server of both processes, the API and the UI's server (as `@modelship/api/http-server`): the same
// bounds on slow clients and the same graceful stop. It imports only Node and @hono/node-server, which the UI
// image has too.
import type { Server, ServerResponse } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
import { serve } from '@hono/node-server';

/** Seconds a client may take to send its headers, its whole request, and to reuse an idle connection. */
export interface HttpTimeouts {
  headers: number;
  upload: number;
  keepAlive: number;
}

export interface HttpServerOptions {
  fetch: Parameters<typeof serve>[0]['fetch'];
  port: number;
  hostname: string;
  timeouts: HttpTimeouts;
}

export interface DrainOptions {
  /** Seconds that requests in flight get to finish; then `onDeadline`, and a second later every connection
   * still open is closed. */
  timeoutSeconds: number;
  onDeadline?: () => void;
  /** Once the last connection has ended. */
  onClosed: () => void | Promise<void>;
}

export interface HttpServer {
  server: Server;
  /**
   * Stops listening at once but serves what still arrives on open connections, each response with
   * `Connection: close`, so that keep-alive clients reconnect elsewhere instead of reading a reset.
   */
  drain(options: DrainOptions): void;
}

export function serveHttp(options: HttpServerOptions, onListening?: (info: AddressInfo) => void): HttpServer {
  const { timeouts } = options;
  const server = serve(
    {
      fetch: options.fetch,
      port: options.port,
      hostname: options.hostname,
      // Explicit bounds on slow clients (Node's defaults are 60 s for headers and 300 s for the request); the
      // check runs every second so that a slowloris connection is cut close to its deadline.
      serverOptions: {
        headersTimeout: timeouts.headers * 1000,
        requestTimeout: timeouts.upload * 1000,
        keepAliveTimeout: timeouts.keepAlive * 1000,
        connectionsCheckingInterval: 1_000,
      },
    },
    onListening,
  ) as Server;

  let draining = false;
  // Responses not yet sent: the drain adds `Connection: close` to those too. Node merges headers set here
  // with the ones the app's response passes to writeHead.
  const unsent = new Set<ServerResponse>();
  server.prependListener('request', (_request, response: ServerResponse) => {
    if (draining) {
      response.setHeader('Connection', 'close');
      return;
    }
    unsent.add(response);
    response.once('close', () => unsent.delete(response));
  });

  const drain = ({ timeoutSeconds, onDeadline, onClosed }: DrainOptions) => {
    if (draining) return;
    draining = true;
    for (const response of unsent) if (!response.headersSent) response.setHeader('Connection', 'close');
    unsent.clear();
    // net.Server's close, not http.Server's: that one also drops idle keep-alive connections at once, and a
    // client sending its next request on one just then reads a reset. Idle connections instead end at their
    // keep-alive timeout, which clients know from the Keep-Alive header, and retire first.
    Reflect.apply(NetServer.prototype.close, server, [
      async () => {
        clearTimeout(deadline);
        await onClosed();
      },
    ]);
    const deadline = setTimeout(() => {
      onDeadline?.();
      setTimeout(() => server.closeAllConnections(), 1_000).unref();
    }, timeoutSeconds * 1000);
  };
  return { server, drain };
}

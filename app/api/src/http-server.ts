// The HTTP server of both processes, the API and the UI's server (as `@modelship/api/http-server`): the same
// bounds on slow clients and the same graceful stop. It imports only Node and @hono/node-server, which the UI
// image has too.
import { type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import { type AddressInfo, Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { serve } from '@hono/node-server';

/** Seconds a client may take to send its headers, its whole request, and to reuse an idle connection. */
/**
 * A byte size as the API and the UI proxy state their limits: BODY_LIMIT_MB counts units of 1024 × 1024 bytes,
 * so MiB; 0.5 stays 0.5 (a fractional limit was shown rounded to 1). Here because both servers run this module.
 */
export const mebibytes = (bytes: number): string => `${Number((bytes / 1024 / 1024).toFixed(2))} MiB`;

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

/** Seconds as the whole, positive milliseconds Node takes (1.001 * 1000 is 1000.9999999999999). */
const milliseconds = (seconds: number) => Math.max(1, Math.round(seconds * 1000));

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
        headersTimeout: milliseconds(timeouts.headers),
        requestTimeout: milliseconds(timeouts.upload),
        keepAliveTimeout: milliseconds(timeouts.keepAlive),
        connectionsCheckingInterval: 1_000,
      },
    },
    onListening,
  ) as Server;

  server.on('clientError', answerClientError);

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

/**
 * Requests Node refuses before the app sees them (headers over its limit, a client too slow to send its request,
 * bytes that are not HTTP) get the JSON error body every other error has, instead of Node's bare status line.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const response = (socket as { _httpMessage?: ServerResponse })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, code, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'the request headers are over the size limit (16 KiB)']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request was not received in time; send it again']
        : [400, 'invalid_request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: code, detail });
  // Written then destroyed, as Node does with its own answer: with end() instead, the hostile suite's 500
  // slowloris connections stayed open past their header timeout.
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  socket.destroy();
}

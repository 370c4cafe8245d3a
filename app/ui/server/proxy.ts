// Reverse proxy for /api/* → the inference API, so the browser talks to one origin.
//
// Request bodies stream through with backpressure, counted against the API's own body limit: a declared
// Content-Length over it gets a 413 before a byte is read, and a chunked body is cut with a 413 once past it
// (an API that refuses a big upload mid-stream resets the connection, which would read as "down").
// While the API restarts (a rollout replaces its container: connections are refused, DNS fails for a
// moment, or it answers 503 "not ready" while warming up), requests are retried with a short backoff for up
// to `retryWindowMs`, so a client polling the UI sees no failure. Retrying needs the body again, so small
// bodies (up to REPLAY_BODY_BYTES, which covers a typical photo or screenshot) are held for it; larger ones
// stream through once.
import { type IncomingMessage, request as nodeHttpRequest } from 'node:http';
import { request as nodeHttpsRequest } from 'node:https';
import { Readable, Transform } from 'node:stream';
import { getConnInfo } from '@hono/node-server/conninfo';
import { mebibytes } from '@modelship/api/http-server';
import type { Context } from 'hono';
import type { ProxySettings } from './config.js';
import { httpRequest, type Log, writeLog } from './log.js';

export interface ApiProxyOptions extends ProxySettings {
  apiUrl: string;
  /** Resolves to an ID token the API requires (a private Cloud Run service); unset, none is sent. */
  idToken?: () => Promise<string>;
  /** One line per notable event (retries, failures); defaults to a JSON line on stderr. */
  log?: Log;
}

/** A request carrying `X-Proxy-Retry: off` gets the API's state as it is now (the status badge uses it). */
export const RETRY_HEADER = 'x-proxy-retry';

/** Errors that happen before the API answered: safe to retry, because nothing was processed. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Bodies up to this size are held in memory so that a request can be retried while the API restarts. */
export const REPLAY_BODY_BYTES = 1024 * 1024;

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** The API's 503 while it loads, warms up or shuts down: `{"error":"not_ready"}`. Its other 503, `queue_full`,
 * means the API is up but saturated, so retrying would only add load; that one goes back to the client. */
export function isNotReady(body: string): boolean {
  try {
    return (JSON.parse(body) as { error?: unknown })?.error === 'not_ready';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first connection-level error code in an error's cause chain (fetch wraps them in TypeError). */
export function connectionErrorCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return code;
    queue.push((e as { cause?: unknown }).cause);
    if (e instanceof AggregateError) queue.push(...e.errors);
  }
  return undefined;
}

/** The innermost cause's message: fetch reports every failure as "fetch failed" and puts the reason there. */
function rootMessage(error: unknown): string {
  let e = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(error);
}

/** Drops the hop-by-hop headers and those the Connection header names: they describe one connection only. */
function withoutHopByHop(source: Headers): Headers {
  const headers = new Headers(source);
  const listed = (source.get('connection') ?? '').split(',').map((name) => name.trim().toLowerCase());
  for (const name of [...HOP_BY_HOP, ...listed]) if (name) headers.delete(name);
  return headers;
}

const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip'];

function upstreamHeaders(c: Context, url: URL, trustForwarded: boolean): Headers {
  const incoming = c.req.raw.headers;
  const headers = withoutHopByHop(incoming);
  // `expect: 100-continue` (curl sends it for bodies over 1 MB) is answered by this server, which already
  // holds the body; fetch refuses to send the header at all, which failed every such upload.
  for (const name of ['host', 'expect', RETRY_HEADER]) headers.delete(name);
  // X-Forwarded-* from the client are anybody's claim: only a configured front (Caddy) is believed.
  if (!trustForwarded) for (const name of FORWARDED) headers.delete(name);
  // The API is next door: ask for plain bodies, so that what fetch decodes is what the client receives.
  headers.set('accept-encoding', 'identity');
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    address = undefined; // not served by @hono/node-server (app.request() in tests)
  }
  if (address) {
    const prior = headers.get('x-forwarded-for');
    headers.set('x-forwarded-for', prior ? `${prior}, ${address}` : address);
  }
  if (!headers.has('x-forwarded-proto')) headers.set('x-forwarded-proto', url.protocol.replace(':', ''));
  if (!headers.has('x-forwarded-host')) headers.set('x-forwarded-host', url.host);
  return headers;
}

function relay(upstream: Response, body: string | ReadableStream<Uint8Array> | null): Response {
  const headers = withoutHopByHop(upstream.headers);
  if (headers.has('content-encoding')) {
    // fetch already decoded the body, so its encoding and length no longer apply.
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers });
}

class BodyTooLarge extends Error {
  override name = 'BodyTooLarge';
}

/** The Node request under hono's Request: bodies are read from it, not from Request.body, because on
 * Node 20 Readable.toWeb (behind Request.body) counts its buffer in chunks, not bytes, and so buffers whole
 * uploads; and fetch runs ahead of the socket with a streamed body too. */
const nodeRequest = (c: Context) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;

/** Counts the bytes passing through and fails with BodyTooLarge past `limit`. */
const byteLimit = (limit: number) => {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.byteLength;
      done(total > limit ? new BodyTooLarge() : null, chunk);
    },
  });
};

/** Reads a small body whole (at most `limit` bytes), so the request can be retried. */
async function bufferBody(c: Context, limit: number): Promise<Uint8Array> {
  const source = nodeRequest(c);
  if (!source) return new Uint8Array(await c.req.raw.arrayBuffer()); // app.request() in tests
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    total += chunk.byteLength;
    if (total > limit) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Sends a large or chunked body on with node:http: pipe() reads the client's socket only as fast as the API
 * takes the bytes. Past `limit` bytes the upload is cut (BodyTooLarge); what the client still sends is
 * drained by @hono/node-server after the 413, so its connection stays usable.
 */
function streamUpstream(
  c: Context,
  target: string,
  init: { method: string; headers: Headers; signal: AbortSignal },
  limit: number,
): Promise<Response> {
  const source = nodeRequest(c) as IncomingMessage;
  return new Promise((resolve, reject) => {
    const url = new URL(target);
    const send = url.protocol === 'https:' ? nodeHttpsRequest : nodeHttpRequest;
    const upstream = send(
      url,
      { method: init.method, headers: Object.fromEntries(init.headers), signal: init.signal },
      (res) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : [value ?? '']) headers.append(name, v);
        }
        const body = Readable.toWeb(res) as ReadableStream<Uint8Array>;
        resolve(
          new Response(body, { status: res.statusCode ?? 502, statusText: res.statusMessage, headers }),
        );
      },
    );
    upstream.on('error', reject);
    // Once the API has answered or gone, the rest of the upload is @hono/node-server's to drain: a pipe left
    // in place would pause the client's socket against a dead stream, and the drain would time out.
    const detach = () => {
      if (!source.readableEnded) source.unpipe(counter);
    };
    upstream.on('response', detach).on('close', detach);
    const counter = byteLimit(limit);
    counter.on('error', (error) => {
      source.unpipe(counter);
      upstream.destroy();
      reject(error);
    });
    source.pipe(counter).pipe(upstream);
  });
}

function problem(status: number, error: string, detail: string): Response {
  return Response.json({ error, detail }, { status, headers: { 'cache-control': 'no-store' } });
}

/** Methods fetch() refuses to send (it throws): answered here instead of as a 502 and an error log line. */
const UNFORWARDABLE = new Set(['CONNECT', 'TRACE', 'TRACK']);
const FORWARDED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

const tooLarge = (limit: number, length?: number) =>
  problem(
    413,
    'payload_too_large',
    length === undefined
      ? `The upload is over the ${mebibytes(limit)} limit.`
      : `The upload is ${mebibytes(length)}; the limit is ${mebibytes(limit)}.`,
  );

/** The API's Prometheus endpoint, as the API would route `path` (percent-decoded, slashes merged). */
function isMetricsPath(path: string): boolean {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // a malformed escape: compared as sent (the API answers it 400 or 404)
  }
  return decoded.toLowerCase().replace(/\/+/g, '/').replace(/\/$/, '') === '/metrics';
}

/** /metrics is for the monitoring on the host, not for whoever has the URL (see ProxySettings.proxyMetrics). */
function metricsAllowed(options: ProxySettings, headers: Headers): boolean {
  // Caddy always sets X-Forwarded-For, and a client cannot make it drop the header.
  const viaFront = options.trustForwarded && headers.has('x-forwarded-for');
  return options.proxyMetrics && !viaFront;
}

export function createApiProxy(options: ApiProxyOptions) {
  const apiUrl = options.apiUrl.replace(/\/+$/, '');
  const log = options.log ?? writeLog;

  return async (c: Context): Promise<Response> => {
    const incoming = c.req.raw;
    const url = new URL(incoming.url);
    const path = url.pathname.replace(/^\/api(?=\/|$)/, '') || '/';
    const target = `${apiUrl}${path}${url.search}`;
    const method = incoming.method;
    if (UNFORWARDABLE.has(method.toUpperCase())) {
      return Response.json(
        { error: 'method_not_allowed', detail: `The API does not take ${method} requests.` },
        { status: 405, headers: { allow: FORWARDED_METHODS, 'cache-control': 'no-store' } },
      );
    }

    if (isMetricsPath(path) && !metricsAllowed(options, incoming.headers)) {
      return problem(
        404,
        'not_found',
        "The API's metrics are not served through this address; the monitoring scrapes them on the host.",
      );
    }

    let body: Uint8Array | undefined;
    let replayable = true;
    // Not `incoming.body`: reading that property starts Readable.toWeb (see limitedBody).
    const hasBody = incoming.headers.has('content-length') || incoming.headers.has('transfer-encoding');
    if (method !== 'GET' && method !== 'HEAD' && hasBody) {
      const declared = incoming.headers.get('content-length');
      const length = declared === null ? Number.NaN : Number(declared);
      // The same limit as the API's, answered before reading a byte when the size is declared.
      if (length > options.maxBodyBytes) return tooLarge(options.maxBodyBytes, length);
      if (length <= REPLAY_BODY_BYTES || !nodeRequest(c)) {
        try {
          body = await bufferBody(c, options.maxBodyBytes);
        } catch (error) {
          if (error instanceof BodyTooLarge) return tooLarge(options.maxBodyBytes);
          return new Response(null, { status: 499 }); // the client left mid-upload
        }
      } else {
        replayable = false;
      }
    }
    const headers = upstreamHeaders(c, url, options.trustForwarded);
    if (options.idToken) {
      try {
        headers.set('authorization', `Bearer ${await options.idToken()}`);
      } catch (error) {
        log({
          message: 'no id token for the api',
          severity: 'ERROR',
          path,
          method,
          reason: rootMessage(error),
        });
        return problem(
          502,
          'api_auth',
          `The UI could not authenticate to the model server (${rootMessage(error)}).`,
        );
      }
    }
    const retry = replayable && options.retryWindowMs > 0 && incoming.headers.get(RETRY_HEADER) !== 'off';
    const started = Date.now();
    const deadline = started + options.retryWindowMs;

    let timeout: AbortSignal | undefined;
    for (let attempt = 1; ; attempt++) {
      const delay = Math.min(100 * 2 ** (attempt - 1), 1_000);
      const mayRetry = () => retry && !incoming.signal.aborted && Date.now() + delay < deadline;
      try {
        timeout = AbortSignal.timeout(options.timeoutMs);
        const signal = AbortSignal.any([incoming.signal, timeout]);
        const upstream = replayable
          ? await fetch(target, { method, headers, body: body ?? null, redirect: 'manual', signal })
          : await streamUpstream(c, target, { method, headers, signal }, options.maxBodyBytes);
        if (upstream.status === 503 && mayRetry()) {
          const text = await upstream.text();
          if (isNotReady(text)) {
            if (attempt === 1) log({ message: 'api not ready, retrying', path, method });
            await sleep(delay);
            continue;
          }
          return relay(upstream, text);
        }
        if (attempt > 1)
          log({ message: 'api answered after retries', path, attempts: attempt, ms: Date.now() - started });
        return relay(upstream, upstream.body);
      } catch (error) {
        if (incoming.signal.aborted) return new Response(null, { status: 499 });
        if (error instanceof BodyTooLarge) return tooLarge(options.maxBodyBytes);
        if (timeout?.aborted) {
          log({
            message: 'api timed out',
            severity: 'ERROR',
            httpRequest: httpRequest(method, url.pathname, 504, Date.now() - started),
            timeoutMs: options.timeoutMs,
          });
          return problem(
            504,
            'api_timeout',
            `The model server did not answer within ${options.timeoutMs / 1000} s.`,
          );
        }
        const code = connectionErrorCode(error);
        if (code && mayRetry()) {
          if (attempt === 1)
            log({ message: 'api unreachable, retrying', severity: 'WARNING', path, method, code });
          await sleep(delay);
          continue;
        }
        log({
          message: 'api unreachable',
          severity: 'ERROR',
          httpRequest: httpRequest(method, url.pathname, 502, Date.now() - started),
          api: apiUrl,
          code,
          reason: code ? undefined : rootMessage(error),
          attempts: attempt,
          ms: Date.now() - started,
        });
        return problem(
          502,
          'api_unreachable',
          `The model server is not reachable (${code ?? rootMessage(error)}).`,
        );
      }
    }
  };
}

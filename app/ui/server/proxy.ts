// Reverse proxy for /api/* → the inference API, so the browser talks to one origin.
//
// Request bodies stream through. While the API restarts (a rollout replaces its container: connections are
// refused, DNS fails for a moment, or it answers 503 "not ready" while warming up), requests are retried with
// a short backoff for up to `retryWindowMs`, so a client polling the UI sees no failure. Retrying needs the
// body again, so bodies of a declared size are buffered (up to `maxBodyBytes`, beyond which the proxy answers
// 413 itself: an API that refuses a big upload mid-stream resets the connection, which would read as "down").
// Bodies of unknown size (chunked) stream through once, without retries.
import { getConnInfo } from '@hono/node-server/conninfo';
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

function upstreamHeaders(c: Context, url: URL): Headers {
  const headers = new Headers(c.req.raw.headers);
  // `expect: 100-continue` (curl sends it for bodies over 1 MB) is answered by this server, which already
  // holds the body; fetch refuses to send the header at all, which failed every such upload.
  for (const name of [...HOP_BY_HOP, 'host', 'expect', RETRY_HEADER]) headers.delete(name);
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
  const headers = new Headers(upstream.headers);
  for (const name of HOP_BY_HOP) headers.delete(name);
  if (headers.has('content-encoding')) {
    // fetch already decoded the body, so its encoding and length no longer apply.
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  return new Response(body, { status: upstream.status, statusText: upstream.statusText, headers });
}

function problem(status: number, error: string, detail: string): Response {
  return Response.json({ error, detail }, { status, headers: { 'cache-control': 'no-store' } });
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

    let body: ArrayBuffer | ReadableStream<Uint8Array> | undefined;
    let replayable = true;
    if (method !== 'GET' && method !== 'HEAD' && incoming.body) {
      const declared = incoming.headers.get('content-length');
      const length = declared === null ? Number.NaN : Number(declared);
      if (Number.isFinite(length)) {
        if (length > options.maxBodyBytes) {
          return problem(
            413,
            'payload_too_large',
            `The upload is ${(length / 1e6).toFixed(1)} MB; the limit is ${(options.maxBodyBytes / 1e6).toFixed(0)} MB.`,
          );
        }
        body = await incoming.arrayBuffer();
      } else {
        body = incoming.body;
        replayable = false;
      }
    }
    const headers = upstreamHeaders(c, url);
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

    for (let attempt = 1; ; attempt++) {
      const delay = Math.min(100 * 2 ** (attempt - 1), 1_000);
      const mayRetry = () => retry && !incoming.signal.aborted && Date.now() + delay < deadline;
      try {
        const upstream = await fetch(target, {
          method,
          headers,
          body: body ?? null,
          redirect: 'manual',
          signal: AbortSignal.any([incoming.signal, AbortSignal.timeout(options.timeoutMs)]),
          // Lets a ReadableStream body flow to the API as it arrives.
          duplex: 'half',
        } as RequestInit);
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
        if (error instanceof DOMException && error.name === 'TimeoutError') {
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

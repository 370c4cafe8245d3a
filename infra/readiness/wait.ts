// The readiness wait behind `pulumi up`: poll the public URL until `/api/ready` answers 200 and
// `/api/health` reports the version just deployed, printing progress, within a bounded time. Pure logic
// with injectable fetch, clock and sleep, so it is tested against a local HTTP server.

export interface WaitOptions {
  /** Public base URL, e.g. https://34-1-2-3.sslip.io (no trailing slash needed). */
  url: string;
  /** The version `/api/health` must report. */
  version: string;
  timeoutMs: number;
  intervalMs: number;
  /** Per-request timeout. */
  requestTimeoutMs: number;
  /** `user:password` when the site is behind basic auth. Never logged. */
  basicAuth?: string;
  /** Extra advice appended to the timeout error (e.g. how to read the VM's startup logs). */
  hint?: string;
  log: (line: string) => void;
  /** How often to repeat an unchanged state, so the user sees it is still waiting. */
  heartbeatMs?: number;
  /**
   * Asks the VM to retry its deploy now (single-vm: sets the `modelship-nudge` metadata key its watcher
   * waits on) and resolves to a line for the log. Called once the site has not been ready for
   * `nudgeAfterMs`, then every `nudgeEveryMs` while it still is not. Harmless to a deploy in progress or a
   * healthy VM: the watcher then finds nothing to change.
   */
  nudge?: () => Promise<string>;
  nudgeAfterMs?: number;
  nudgeEveryMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The site's liveness path (the API's /health behind the UI proxy); the uptime check requests it too. */
export const HEALTH_PATH = '/api/health';

/** GCE instance states in which nothing runs (an idle auto-stop ends in TERMINATED). */
export const STOPPED_STATUSES = ['STOPPING', 'TERMINATED', 'SUSPENDING', 'SUSPENDED'];

export type Probe = { ready: true } | { ready: false; reason: string };

const TLS_CODE = /CERT|SSL|TLS|ALERT/i;

/** A readable reason for a failed fetch (undici wraps the system error as `cause`). */
export function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? '';
  const message = cause?.message ?? (err instanceof Error ? err.message : String(err));
  if ((err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError')
    return 'no answer (timed out)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the name does not resolve yet (${code})`;
  if (code === 'ECONNREFUSED') return 'connection refused (the VM is booting or Caddy is not up yet)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `connection reset (${code})`;
  if (code.startsWith('UND_ERR_CONNECT') || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return `cannot connect yet (${code})`;
  }
  if (TLS_CODE.test(code) || TLS_CODE.test(message)) {
    return `HTTPS is not ready yet: the certificate is probably still being issued (${code || message})`;
  }
  return `request failed: ${code ? `${code} ` : ''}${message}`;
}

/** One round: `/api/ready`, then `/api/health` for the version. */
export async function probe(opts: Pick<WaitOptions, 'url' | 'version' | 'requestTimeoutMs' | 'basicAuth'>) {
  const base = opts.url.replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.basicAuth) headers.authorization = `Basic ${Buffer.from(opts.basicAuth).toString('base64')}`;
  const get = (path: string) =>
    fetch(`${base}${path}`, {
      headers,
      signal: AbortSignal.timeout(opts.requestTimeoutMs),
      redirect: 'follow',
    });
  try {
    const ready = await get('/api/ready');
    await ready.body?.cancel();
    if (ready.status === 401) return notReady('401 Unauthorized: the basicAuth credentials were refused');
    if (ready.status !== 200)
      return notReady(`/api/ready answered ${ready.status} (models loading or proxy starting)`);
    const health = await get(HEALTH_PATH);
    const body: unknown = await health.json().catch(() => undefined);
    const version = (body as { version?: unknown } | undefined)?.version;
    if (health.status !== 200 || typeof version !== 'string') {
      return notReady(`/api/health answered ${health.status} without a version`);
    }
    if (version !== opts.version) {
      return notReady(`still serving version ${version}; waiting for ${opts.version} to roll out`);
    }
    return { ready: true } as const;
  } catch (err) {
    return notReady(describeFetchError(err));
  }
}

const notReady = (reason: string): Probe => ({ ready: false, reason });

export const formatElapsed = (ms: number) => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

export class ReadinessTimeoutError extends Error {
  override name = 'ReadinessTimeoutError';
}

/** A normal redeploy is done well within this; a VM still not serving after it may be stuck. */
export const NUDGE_AFTER_MS = 120_000;
export const NUDGE_EVERY_MS = 300_000;

/** Resolves once the site serves the version; rejects with the last state after `timeoutMs`. */
export async function waitUntilReady(opts: WaitOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const heartbeatMs = opts.heartbeatMs ?? 60_000;
  const start = now();
  let lastReason = '';
  let lastLogged = Number.NEGATIVE_INFINITY;
  let nextNudge = opts.nudgeAfterMs ?? NUDGE_AFTER_MS;
  opts.log(
    `waiting for ${opts.url} to serve version ${opts.version} (up to ${formatElapsed(opts.timeoutMs)})`,
  );
  for (;;) {
    const result = await probe(opts);
    const elapsed = now() - start;
    if (result.ready) {
      opts.log(`ready after ${formatElapsed(elapsed)}: ${opts.url} serves version ${opts.version}`);
      return;
    }
    if (result.reason !== lastReason || elapsed - lastLogged >= heartbeatMs) {
      opts.log(`[${formatElapsed(elapsed)}] ${result.reason}`);
      lastReason = result.reason;
      lastLogged = elapsed;
    }
    if (opts.nudge && elapsed >= nextNudge) {
      const line = await opts.nudge().catch((err: unknown) => `could not nudge the VM: ${String(err)}`);
      opts.log(`[${formatElapsed(elapsed)}] ${line}`);
      nextNudge = elapsed + (opts.nudgeEveryMs ?? NUDGE_EVERY_MS);
    }
    if (elapsed + opts.intervalMs > opts.timeoutMs) {
      throw new ReadinessTimeoutError(
        `${opts.url} did not serve version ${opts.version} within ${formatElapsed(opts.timeoutMs)}; last state: ${result.reason}.${opts.hint ? ` ${opts.hint}` : ''}`,
      );
    }
    await sleep(opts.intervalMs);
  }
}

// The UI server's settings, from the environment, validated once at start.
import { fileURLToPath } from 'node:url';
import type { HttpTimeouts } from '@modelship/api/http-server';

export interface UiConfig {
  port: number;
  host: string;
  /** Base URL of the inference API, e.g. http://localhost:8000. */
  apiUrl: string;
  /** Built front end (Vite output). */
  staticDir: string;
  proxy: ProxySettings;
  /** Seconds a client may take to send its headers, its whole request, and to reuse an idle connection. */
  httpTimeouts: HttpTimeouts;
  /** Set on Cloud Run, where the API is private: the audience (the API's URL) of the ID tokens the proxy sends. */
  idTokenAudience?: string;
  /** `user:password` the UI asks browsers for (Cloud Run; on the VM, Caddy does it); unset, the UI is open. */
  basicAuth?: { username: string; password: string };
}

export interface ProxySettings {
  /** How long to keep retrying while the API restarts (connection refused, not ready), ms. */
  retryWindowMs: number;
  /** Longest a single upstream request may take, ms. */
  timeoutMs: number;
  /** The API's body limit (BODY_LIMIT_MB, read by both): larger bodies get a 413 here, early when declared. */
  maxBodyBytes: number;
  /** Believe X-Forwarded-* from the client: only behind a front that sets them itself (Caddy). */
  trustForwarded: boolean;
  /**
   * Forward the API's Prometheus /metrics (PROXY_METRICS): off by default, so that a stranger with the URL
   * cannot read it. The VM turns it on for its Ops Agent, which scrapes the UI's loopback-only port; even
   * then a request that came through the trusted front (Caddy) is refused.
   */
  proxyMetrics: boolean;
}

export const DEFAULT_PROXY: ProxySettings = {
  retryWindowMs: 30_000,
  timeoutMs: 120_000,
  // The API's default BODY_LIMIT_MB (app/api/src/config.ts).
  maxBodyBytes: 20 * 1024 * 1024,
  trustForwarded: false,
  proxyMetrics: false,
};

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** BODY_LIMIT_MB, as the API reads it (a positive number of MiB). */
function bodyLimit(env: NodeJS.ProcessEnv): number {
  const raw = env.BODY_LIMIT_MB;
  if (raw === undefined || raw === '') return DEFAULT_PROXY.maxBodyBytes;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0) {
    throw new Error(`BODY_LIMIT_MB must be a positive number, got ${JSON.stringify(raw)}`);
  }
  return Math.round(mb * 1024 * 1024);
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new Error(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): UiConfig {
  const apiUrl = env.API_URL || 'http://localhost:8000';
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new Error(`API_URL must be an http(s) URL, got ${JSON.stringify(apiUrl)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`API_URL must be an http(s) URL, got ${JSON.stringify(apiUrl)}`);
  }
  const audience = env.API_ID_TOKEN_AUDIENCE;
  if (audience && !/^https:\/\/[^/]+/.test(audience)) {
    throw new Error(`API_ID_TOKEN_AUDIENCE must be the API's https URL, got ${JSON.stringify(audience)}`);
  }
  const credentials = basicAuth(env.BASIC_AUTH);
  return {
    ...(audience && { idTokenAudience: audience }),
    ...(credentials && { basicAuth: credentials }),
    port: integer(env, 'PORT', 8501, 0, 65535),
    host: env.HOST || '0.0.0.0',
    apiUrl: apiUrl.replace(/\/+$/, ''),
    staticDir: env.STATIC_DIR || fileURLToPath(new URL('../public', import.meta.url)),
    proxy: {
      retryWindowMs: integer(env, 'PROXY_RETRY_MS', DEFAULT_PROXY.retryWindowMs, 0, 600_000),
      timeoutMs: integer(env, 'PROXY_TIMEOUT_MS', DEFAULT_PROXY.timeoutMs, 1_000, 3_600_000),
      maxBodyBytes: bodyLimit(env),
      trustForwarded: flag(env, 'TRUST_PROXY'),
      proxyMetrics: flag(env, 'PROXY_METRICS'),
    },
    httpTimeouts: {
      headers: integer(env, 'HEADERS_TIMEOUT', 10, 1, 600),
      upload: integer(env, 'UPLOAD_TIMEOUT', 60, 1, 3600),
      keepAlive: integer(env, 'KEEP_ALIVE_TIMEOUT', 5, 1, 600),
    },
  };
}

/** BASIC_AUTH is `user:password` (a secret: messages never echo it); empty or unset turns basic auth off. */
function basicAuth(value: string | undefined): { username: string; password: string } | undefined {
  if (!value) return undefined;
  const colon = value.indexOf(':');
  if (colon < 1 || colon === value.length - 1) {
    throw new Error('BASIC_AUTH must be "<user>:<password>" (the value is not shown)');
  }
  return { username: value.slice(0, colon), password: value.slice(colon + 1).replace(/\r?\n$/, '') };
}

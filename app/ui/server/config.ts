// The UI server's settings, from the environment, validated once at start.
import { fileURLToPath } from 'node:url';
import type { HttpTimeouts } from '@modelship/api/http-server';
import {
  bodyLimitBytes,
  decimal,
  flag,
  httpTimeouts,
  parseEnv,
  port,
  sharedEnv,
} from '@modelship/api/shared-env';
import { z } from 'zod';

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

/** The UI's variables, and those it shares with the API (HOST, BODY_LIMIT_MB, the HTTP timeouts, TRUST_PROXY). */
const uiEnv = {
  ...sharedEnv,
  PORT: port().default(8501),
  API_URL: z
    .string()
    .default('http://localhost:8000')
    .refine(
      (value) => {
        const url = URL.canParse(value) ? new URL(value) : undefined;
        // A user or password would be sent nowhere (fetch refuses them) but shown in logs and errors.
        return (
          /^https?:$/.test(url?.protocol ?? '') &&
          !url?.username &&
          !url?.password &&
          !url?.search &&
          !url?.hash
        );
      },
      {
        error:
          'must be an http(s) URL with no user, password, query or #fragment, such as http://localhost:8000',
      },
    )
    .transform((value) => value.replace(/\/+$/, '')),
  STATIC_DIR: z
    .string()
    .min(1)
    .default(fileURLToPath(new URL('../public', import.meta.url))),
  PROXY_RETRY_MS: decimal(z.number().int().min(0).max(600_000)).default(30_000),
  PROXY_TIMEOUT_MS: decimal(z.number().int().min(1_000).max(3_600_000)).default(120_000),
  PROXY_METRICS: flag(),
  API_ID_TOKEN_AUDIENCE: z
    .string()
    .regex(/^https:\/\/[^/\s]+(\/\S*)?$/, { error: "must be the API's https URL" })
    .optional(),
  // A secret: parseEnv never shows its value.
  BASIC_AUTH: z
    .string()
    .transform((value) => value.replace(/[\r\n]+$/, '')) // as read from a secret file
    // No control characters (a newline inside): no browser could type them.
    .pipe(z.string().regex(/^[^:\p{Cc}]+:[^\p{Cc}]+$/u, { error: 'must be "<user>:<password>"' }))
    .transform((value) => {
      const colon = value.indexOf(':');
      return { username: value.slice(0, colon), password: value.slice(colon + 1) };
    })
    .optional(),
};
const SECRETS = ['BASIC_AUTH'];

type UiEnv = z.infer<z.ZodObject<typeof uiEnv>>;

const proxySettings = (e: UiEnv): ProxySettings => ({
  retryWindowMs: e.PROXY_RETRY_MS,
  timeoutMs: e.PROXY_TIMEOUT_MS,
  maxBodyBytes: bodyLimitBytes(e.BODY_LIMIT_MB),
  trustForwarded: e.TRUST_PROXY,
  proxyMetrics: e.PROXY_METRICS,
});

/** The proxy's settings when no variable is set. */
export const DEFAULT_PROXY: ProxySettings = proxySettings(parseEnv(uiEnv, {}));

/** Parses the environment; throws ConfigError naming every bad variable (BASIC_AUTH's value is never shown). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): UiConfig {
  const e = parseEnv(uiEnv, env, SECRETS);
  return {
    ...(e.API_ID_TOKEN_AUDIENCE && { idTokenAudience: e.API_ID_TOKEN_AUDIENCE }),
    ...(e.BASIC_AUTH && { basicAuth: e.BASIC_AUTH }),
    port: e.PORT,
    host: e.HOST,
    apiUrl: e.API_URL,
    staticDir: e.STATIC_DIR,
    proxy: proxySettings(e),
    httpTimeouts: httpTimeouts(e),
  };
}

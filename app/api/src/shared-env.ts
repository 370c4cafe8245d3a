// Reading settings from the environment, for both servers: one rule for a number and for a flag, one schema
// for the variables both read (the UI applies the API's body limit first and serves HTTP with the same
// timeouts), and one error naming every bad variable. Each server's own variables are in its config.ts.
import { z } from 'zod';
import { decimalNumber } from './decimal.js';
import type { HttpTimeouts } from './http-server.js';

/** A number written in decimal within `bounds`: PORT=0x1f40 or BODY_LIMIT_MB=0b1 is a typo, not a number. */
export const decimal = (bounds: z.ZodNumber) => decimalNumber('must be a decimal number').pipe(bounds);

/** true/false, 1/0, yes/no, on/off (any case); unset is false. */
export const flag = () => z.stringbool().default(false);

/** A TCP port to listen on (0: any free one). Each server has its own default PORT. */
export const port = () => decimal(z.number().int().min(0).max(65535));

/** The variables both servers read, with their defaults. */
export const sharedEnv = {
  HOST: z.string().min(1).default('0.0.0.0'),
  // From 10 KiB (smaller limits read "0 MiB" in the 413) to 2 GiB (a Node Buffer's size on 32-bit hosts).
  BODY_LIMIT_MB: decimal(z.number().min(0.01).max(2048)).default(20),
  HEADERS_TIMEOUT: decimal(z.number().positive().max(600)).default(10),
  UPLOAD_TIMEOUT: decimal(z.number().positive().max(3600)).default(60),
  KEEP_ALIVE_TIMEOUT: decimal(z.number().positive().max(600)).default(5),
  TRUST_PROXY: flag(),
};

/**
 * The three HTTP timeouts, in seconds. Node refuses a headers timeout longer than the request's: checked here,
 * where the message can name the variables (serveHttp rounds each to whole milliseconds, as Node needs).
 */
export function httpTimeouts(e: {
  HEADERS_TIMEOUT: number;
  UPLOAD_TIMEOUT: number;
  KEEP_ALIVE_TIMEOUT: number;
}): HttpTimeouts {
  if (Math.round(e.HEADERS_TIMEOUT * 1000) > Math.round(e.UPLOAD_TIMEOUT * 1000)) {
    throw new ConfigError(
      `invalid configuration: HEADERS_TIMEOUT=${e.HEADERS_TIMEOUT} is longer than UPLOAD_TIMEOUT=${e.UPLOAD_TIMEOUT}: ` +
        'the headers are part of the upload; raise UPLOAD_TIMEOUT too',
    );
  }
  return { headers: e.HEADERS_TIMEOUT, upload: e.UPLOAD_TIMEOUT, keepAlive: e.KEEP_ALIVE_TIMEOUT };
}

/** BODY_LIMIT_MB as bytes. */
export const bodyLimitBytes = (mebibytes: number): number => Math.round(mebibytes * 1024 * 1024);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * `env` parsed by `shape`; an empty string means unset, as in `PORT= npm start`. Throws ConfigError naming every
 * bad variable with its value, except for the `secrets`, whose values are never shown.
 */
export function parseEnv<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: NodeJS.ProcessEnv,
  secrets: readonly string[] = [],
): z.infer<z.ZodObject<Shape>> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = z.object(shape).safeParse(present);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const value = secrets.includes(name) ? '(not shown)' : shown(env[name] ?? '');
    return `${name}=${value}: ${issue.message}`;
  });
  throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
}

/** A value as an error shows it: a URL's password hidden, and cut short so that the reason after it prints. */
function shown(value: string): string {
  const safe = value.replace(/(\/\/[^/@\s]*):[^/@\s]*@/g, '$1:***@');
  return JSON.stringify(safe.length > 80 ? `${safe.slice(0, 80)}…` : safe);
}

// ID tokens for calling a private Cloud Run service: on Cloud Run the UI's service account is the API's only
// invoker, and proves it with a Google-signed ID token whose audience is the API's URL. The token comes from
// the metadata server of the instance the UI runs on; it lives an hour, so it is cached and fetched again a
// few minutes before it expires. Without an audience configured (the laptop, the VM) nothing here runs.

/** Where the metadata server is; GCE_METADATA_HOST (host:port) overrides it, as Google's client libraries do. */
export function metadataIdentityUrl(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.GCE_METADATA_HOST || 'metadata.google.internal';
  return `http://${host}/computeMetadata/v1/instance/service-accounts/default/identity`;
}

export interface IdTokenSourceOptions {
  /** The receiving service's URL, e.g. https://api-abc123-uc.a.run.app. */
  audience: string;
  /** The metadata server's identity endpoint (see metadataIdentityUrl). */
  url: string;
  /** Fetch a new token once the cached one has less than this left, ms. */
  refreshBeforeMs?: number;
  /** Longest a metadata request may take, ms. */
  timeoutMs?: number;
  now?: () => number;
}

export class IdTokenError extends Error {
  override name = 'IdTokenError';
}

/** The `exp` claim (seconds since the epoch) of a JWT, without verifying it: the issuer is our metadata server. */
export function jwtExpiry(token: string): number {
  const payload = token.split('.')[1];
  if (!payload) throw new IdTokenError('the metadata server answered with something that is not a JWT');
  let exp: unknown;
  try {
    exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
  } catch {
    throw new IdTokenError('the metadata server answered with a JWT whose payload is not JSON');
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new IdTokenError('the ID token from the metadata server has no expiry (exp)');
  }
  return exp;
}

/** Returns a function that resolves to a valid ID token for `audience`; concurrent callers share one fetch. */
export function createIdTokenSource(options: IdTokenSourceOptions): () => Promise<string> {
  const refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const now = options.now ?? Date.now;
  const url = `${options.url}?${new URLSearchParams({ audience: options.audience, format: 'full' })}`;
  let cached: { token: string; expiresAtMs: number } | undefined;
  let pending: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { 'Metadata-Flavor': 'Google' },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const reason =
        error instanceof Error ? (error.cause as Error | undefined)?.message || error.message : error;
      throw new IdTokenError(`cannot reach the metadata server for an ID token (${reason})`);
    }
    const body = (await response.text()).trim();
    if (!response.ok) {
      throw new IdTokenError(
        `the metadata server refused an ID token: HTTP ${response.status} ${body.slice(0, 200)}`,
      );
    }
    cached = { token: body, expiresAtMs: jwtExpiry(body) * 1000 };
    return body;
  };

  return () => {
    if (cached && cached.expiresAtMs - now() > refreshBeforeMs) return Promise.resolve(cached.token);
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

// The UI's side of a private Cloud Run API: ID tokens from a (real, local) metadata server, cached and
// refreshed, sent by the proxy as a bearer token; nothing of it when no audience is configured (the laptop);
// and the UI's own basic auth, which Cloud Run has no Caddy for.
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createIdTokenSource, IdTokenError, jwtExpiry, metadataIdentityUrl } from '../server/id-token.js';
import { listen, type Running, staticDir } from './helpers.js';

const AUDIENCE = 'https://api-abc123-uc.a.run.app';

/** An unsigned JWT with the given expiry; the UI never verifies tokens, the receiving service does. */
const jwt = (expSeconds: number, n = 0) =>
  ['{"alg":"RS256"}', JSON.stringify({ aud: AUDIENCE, exp: expSeconds, n })]
    .map((part) => Buffer.from(part).toString('base64url'))
    .concat('c2ln')
    .join('.');

interface MetadataState {
  calls: { flavor: string | undefined; audience: string | undefined; format: string | undefined }[];
  /** What the next answers are: a status, or a token. */
  answer: () => { status: number; body: string };
  delayMs: number;
}

function fakeMetadata(state: MetadataState) {
  const app = new Hono();
  app.get('/computeMetadata/v1/instance/service-accounts/default/identity', async (c) => {
    state.calls.push({
      flavor: c.req.header('metadata-flavor'),
      audience: c.req.query('audience'),
      format: c.req.query('format'),
    });
    // The real server refuses requests without the header (it guards against SSRF).
    if (c.req.header('metadata-flavor') !== 'Google')
      return c.text('Missing Metadata-Flavor:Google header.', 403);
    await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    const { status, body } = state.answer();
    return c.text(body, status as 200);
  });
  return app;
}

/** The private API: only requests with the current token get through, as Cloud Run's IAM check would do. */
function privateApi(validToken: () => string | undefined) {
  const app = new Hono();
  app.get('/health', (c) => {
    const auth = c.req.header('authorization');
    if (!auth || auth !== `Bearer ${validToken()}`) return c.text('Unauthorized', 401);
    return c.json({ status: 'ok', authorization: 'bearer' });
  });
  return app;
}

let metadata: Running;
const state: MetadataState = { calls: [], answer: () => ({ status: 200, body: '' }), delayMs: 0 };
let identityUrl: string;

beforeAll(async () => {
  metadata = await listen(fakeMetadata(state));
  identityUrl = metadataIdentityUrl({ GCE_METADATA_HOST: `127.0.0.1:${metadata.port}` });
});
afterAll(() => metadata.close());
afterEach(() => {
  state.calls = [];
  state.delayMs = 0;
});

describe('createIdTokenSource', () => {
  it('asks the metadata server with Metadata-Flavor, the audience and format=full, and caches the token', async () => {
    const token = jwt(Math.floor(Date.now() / 1000) + 3600);
    state.answer = () => ({ status: 200, body: `${token}\n` });
    const source = createIdTokenSource({ audience: AUDIENCE, url: identityUrl });
    expect(await source()).toBe(token);
    expect(await source()).toBe(token);
    expect(state.calls).toEqual([{ flavor: 'Google', audience: AUDIENCE, format: 'full' }]);
  });

  it('fetches a new token a few minutes before the cached one expires', async () => {
    let clock = 1_000_000_000_000;
    let n = 0;
    state.answer = () => ({ status: 200, body: jwt(clock / 1000 + 3600, ++n) });
    const source = createIdTokenSource({
      audience: AUDIENCE,
      url: identityUrl,
      refreshBeforeMs: 300_000,
      now: () => clock,
    });
    const first = await source();
    clock += 3600_000 - 300_001; // 5 min + 1 ms left: still good
    expect(await source()).toBe(first);
    clock += 2; // under 5 min left: refresh
    const second = await source();
    expect(second).not.toBe(first);
    expect(state.calls).toHaveLength(2);
  });

  it('shares one metadata request among concurrent callers', async () => {
    state.delayMs = 100;
    state.answer = () => ({ status: 200, body: jwt(Math.floor(Date.now() / 1000) + 3600) });
    const source = createIdTokenSource({ audience: AUDIENCE, url: identityUrl });
    const tokens = await Promise.all(Array.from({ length: 5 }, () => source()));
    expect(new Set(tokens).size).toBe(1);
    expect(state.calls).toHaveLength(1);
  });

  it('says why it has no token: an error status, an answer that is not a JWT, an unreachable server', async () => {
    state.answer = () => ({ status: 404, body: 'service account not found' });
    const refused = createIdTokenSource({ audience: AUDIENCE, url: identityUrl });
    await expect(refused()).rejects.toThrow(/refused an ID token: HTTP 404 service account not found/);
    state.answer = () => ({ status: 200, body: 'not-a-jwt' });
    await expect(createIdTokenSource({ audience: AUDIENCE, url: identityUrl })()).rejects.toBeInstanceOf(
      IdTokenError,
    );
    const closed = await listen(new Hono());
    await closed.close();
    const unreachable = createIdTokenSource({ audience: AUDIENCE, url: `${closed.url}/identity` });
    await expect(unreachable()).rejects.toThrow(/cannot reach the metadata server/);
  });

  it('a failed fetch is not cached: the next call tries again', async () => {
    state.answer = () => ({ status: 500, body: 'oops' });
    const source = createIdTokenSource({ audience: AUDIENCE, url: identityUrl });
    await expect(source()).rejects.toThrow(/HTTP 500/);
    const token = jwt(Math.floor(Date.now() / 1000) + 3600);
    state.answer = () => ({ status: 200, body: token });
    expect(await source()).toBe(token);
  });

  it('reads the expiry of a JWT and rejects one without it', () => {
    expect(jwtExpiry(jwt(1234))).toBe(1234);
    const noExp = ['{}', '{"aud":"x"}'].map((p) => Buffer.from(p).toString('base64url')).join('.');
    expect(() => jwtExpiry(`${noExp}.sig`)).toThrow(/no expiry/);
  });
});

describe('the UI proxy in front of a private API', () => {
  let api: Running;
  let current: string | undefined;

  beforeAll(async () => {
    api = await listen(privateApi(() => current));
  });
  afterAll(() => api.close());

  it('sends the ID token as the bearer, replacing the browser basic auth header', async () => {
    current = jwt(Math.floor(Date.now() / 1000) + 3600);
    state.answer = () => ({ status: 200, body: current as string });
    const ui = await listen(
      createApp({
        apiUrl: api.url,
        staticDir: await staticDir(),
        idToken: createIdTokenSource({ audience: AUDIENCE, url: identityUrl }),
        log: () => {},
      }),
    );
    try {
      const res = await fetch(`${ui.url}/api/health`, {
        headers: { authorization: `Basic ${Buffer.from('student:pw').toString('base64')}` },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', authorization: 'bearer' });
      const again = await fetch(`${ui.url}/api/health`);
      expect(again.status).toBe(200);
      expect(state.calls).toHaveLength(1);
    } finally {
      await ui.close();
    }
  });

  it('answers 502 api_auth, naming the reason, when the metadata server gives no token', async () => {
    state.answer = () => ({ status: 403, body: 'permission denied' });
    const events: Record<string, unknown>[] = [];
    const ui = await listen(
      createApp({
        apiUrl: api.url,
        staticDir: await staticDir(),
        idToken: createIdTokenSource({ audience: AUDIENCE, url: identityUrl }),
        log: (event) => events.push(event),
      }),
    );
    try {
      const res = await fetch(`${ui.url}/api/health`);
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: string; detail: string };
      expect(body.error).toBe('api_auth');
      expect(body.detail).toMatch(/HTTP 403 permission denied/);
      expect(events.map((e) => e.message)).toContain('no id token for the api');
    } finally {
      await ui.close();
    }
  });

  it('is inert without an audience (the laptop): no metadata request, no bearer', async () => {
    const config = loadConfig({ API_URL: api.url });
    expect(config.idTokenAudience).toBeUndefined();
    const ui = await listen(createApp({ ...config, staticDir: await staticDir(), log: () => {} }));
    try {
      const res = await fetch(`${ui.url}/api/health`);
      expect(res.status).toBe(401); // the private API refuses a caller without a token
      expect(state.calls).toHaveLength(0);
    } finally {
      await ui.close();
    }
  });
});

describe('UI configuration for Cloud Run', () => {
  it('reads the audience and the basic auth credentials', () => {
    const config = loadConfig({ API_ID_TOKEN_AUDIENCE: AUDIENCE, BASIC_AUTH: 'student:pass:with:colons\n' });
    expect(config.idTokenAudience).toBe(AUDIENCE);
    expect(config.basicAuth).toEqual({ username: 'student', password: 'pass:with:colons' });
  });

  it('rejects an audience that is not an https URL, and malformed credentials without echoing them', () => {
    expect(() => loadConfig({ API_ID_TOKEN_AUDIENCE: 'api' })).toThrow(
      /API_ID_TOKEN_AUDIENCE="api": must be the API's https URL/,
    );
    for (const bad of ['secretvalue', 'secretvalue:', ':secretvalue', 'secretvalue:\n']) {
      expect(() => loadConfig({ BASIC_AUTH: bad })).toThrow(
        /BASIC_AUTH=\(not shown\): must be "<user>:<password>"/,
      );
      expect(() => loadConfig({ BASIC_AUTH: bad, PORT: 'x' })).toThrow(/PORT="x"/);
      try {
        loadConfig({ BASIC_AUTH: bad, PORT: 'x' });
      } catch (error) {
        expect((error as Error).message).not.toContain('secretvalue');
      }
    }
  });
});

describe('basic auth in the UI server', () => {
  let ui: Running;
  let api: Running;
  const creds = { username: 'student', password: 'correct horse battery' };
  const header = (u: string, p: string) => ({
    authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`,
  });

  beforeAll(async () => {
    const open = new Hono();
    open.get('/health', (c) => c.json({ status: 'ok' }));
    api = await listen(open);
    ui = await listen(
      createApp({ apiUrl: api.url, staticDir: await staticDir(), basicAuth: creds, log: () => {} }),
    );
  });
  afterAll(async () => {
    await ui.close();
    await api.close();
  });

  it('asks for credentials on the page and on /api, and lets the right ones through', async () => {
    for (const path of ['/', '/api/health', '/assets/app-abc123.js']) {
      const res = await fetch(`${ui.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate'), path).toMatch(/^Basic realm="modelship"/);
      expect((await fetch(`${ui.url}${path}`, { headers: header('student', 'wrong password') })).status).toBe(
        401,
      );
      expect((await fetch(`${ui.url}${path}`, { headers: header('other', creds.password) })).status).toBe(
        401,
      );
      expect(
        (await fetch(`${ui.url}${path}`, { headers: header(creds.username, creds.password) })).status,
      ).toBe(200);
    }
  });

  it('keeps the health check open for Cloud Run probes', async () => {
    expect((await fetch(`${ui.url}/healthz`)).status).toBe(200);
  });
});

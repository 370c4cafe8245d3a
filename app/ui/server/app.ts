// The UI server: the built front end with security and cache headers, and /api/* proxied to the API.
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { basicAuth } from 'hono/basic-auth';
import { secureHeaders } from 'hono/secure-headers';
import { DEFAULT_PROXY, type ProxySettings } from './config.js';
import type { Log } from './log.js';
import { createApiProxy } from './proxy.js';

export interface AppOptions {
  apiUrl: string;
  /** The Vite build output (index.html, assets/ with hashed names, and their .br/.gz siblings). */
  staticDir: string;
  proxy?: Partial<ProxySettings>;
  log?: Log;
  /** Sent as a bearer token with every API request (see id-token.ts). */
  idToken?: () => Promise<string>;
  /** Required of every request but the health check. */
  basicAuth?: { username: string; password: string };
}

/** Vite puts content-hashed files here: their URL changes whenever their bytes do. */
const HASHED_PREFIX = '/assets/';

export function createApp(options: AppOptions): Hono {
  const app = new Hono();
  const proxy = createApiProxy({
    ...DEFAULT_PROXY,
    ...options.proxy,
    apiUrl: options.apiUrl,
    log: options.log,
    ...(options.idToken && { idToken: options.idToken }),
  });

  // The security headers apply to everything served from this origin, proxied answers included (the API's
  // /docs page is HTML too); registered first, as the proxy's answers end the chain.
  // The API's Swagger UI page is the one place that gets inline styles (React) and data: images (its SVG icons).
  const headers = (docs: boolean) =>
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: docs ? ["'self'", "'unsafe-inline'"] : ["'self'"],
        imgSrc: docs ? ["'self'", 'data:'] : ["'self'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      xFrameOptions: 'DENY',
      referrerPolicy: 'strict-origin-when-cross-origin',
    });
  const siteHeaders = headers(false);
  const docsHeaders = headers(true);
  app.use('*', (c, next) => (c.req.path === '/api/docs' ? docsHeaders : siteHeaders)(c, next));

  // For the container healthcheck: the UI process itself, independent of the API's state (and of auth).
  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  // Registered after /healthz, so the health check stays open; everything else (the /api proxy included) asks.
  if (options.basicAuth) app.use('*', basicAuth({ ...options.basicAuth, realm: 'modelship' }));

  // The API's root redirects to "docs", relative to itself: from /api that would be the UI's /docs.
  app.get('/api', (c) => c.redirect('/api/'));
  // The API's answers pass through as they are (status, headers, body).
  app.all('/api', proxy);
  app.all('/api/*', proxy);

  app.use('*', async (c, next) => {
    await next();
    if (c.res.status === 200 || c.res.status === 206 || c.res.status === 304) {
      c.header(
        'Cache-Control',
        c.req.path.startsWith(HASHED_PREFIX) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    }
  });
  app.use('*', serveStatic({ root: options.staticDir, precompressed: true }));
  app.notFound((c) => c.text('Not found', 404, { 'Cache-Control': 'no-store' }));
  return app;
}

// createApp(deps): the HTTP API, composed of one router per area around the data plane.
import { getConnInfo } from '@hono/node-server/conninfo';
import { cors } from 'hono/cors';
import { routePath } from 'hono/route';
import { TrieRouter } from 'hono/router/trie-router';
import { secureHeaders } from 'hono/secure-headers';
import { ApiError, errorResponse } from './errors.js';
import { requestLogFields } from './logger.js';
import { mountDocs } from './routes/docs.js';
import { healthRouter } from './routes/health.js';
import { legacyRouter } from './routes/legacy.js';
import { metricsRouter } from './routes/metrics.js';
import {
  type AppDeps,
  CLIENT_CLOSED,
  handleErrors,
  newRouter,
  type Router,
  type RouterFactory,
} from './routes/router.js';
import { v1Router } from './routes/v1.js';
import { v2Router } from './routes/v2.js';

const PROBES = new Set(['/health', '/ready', '/v2/health/live', '/v2/health/ready']);

/**
 * The routers mounted at the root, in order. Another area plugs in by adding its factory here; it gets the
 * same deps, errors, logging and metrics.
 */
export const routers: RouterFactory[] = [healthRouter, legacyRouter, v1Router, v2Router, metricsRouter];

export function createApp(deps: AppDeps): Router {
  const app = newRouter();
  app.use(secureHeaders({ crossOriginEmbedderPolicy: false }));
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routePath(c, -1);
    const status = c.res.status;
    const labels = {
      method: c.req.method,
      route: route === '/*' || route === '*' ? 'unmatched' : route,
      status: String(status),
      model: c.get('model') ?? '',
    };
    deps.metrics.requests.inc(labels);
    deps.metrics.requestDuration.observe(labels, seconds);
    // One line per request, shaped as a Cloud Logging request log (logger.ts), without bodies, query strings
    // or credentials. 503 is an expected state (warming up, busy, stopping), not a fault, and a client that
    // left (499) none either. Health probes (Docker, `npm start`, load balancers) poll every few seconds:
    // they are logged at debug level only.
    const level = status >= 500 && status !== 503 ? 'error' : PROBES.has(c.req.path) ? 'debug' : 'info';
    const path = c.req.path.slice(0, 256);
    deps.logger[level](
      {
        ...requestLogFields(
          {
            method: c.req.method,
            path,
            status,
            seconds,
            headers: c.req.raw.headers,
            // When the handler declares it (the node server adds Content-Length only while writing).
            responseSize: c.res.headers.get('content-length'),
            socketIp: socketAddress(c),
            trustForwarded: deps.config.trustProxy,
          },
          deps.config.cloudProject,
        ),
        model: labels.model || undefined,
        ...(status === CLIENT_CLOSED ? { aborted: true } : {}),
      },
      `${c.req.method} ${path} ${status === CLIENT_CLOSED ? 'aborted by the client' : status}`,
    );
  });

  // Off unless CORS_ORIGINS names the pages that may call the API from a browser (the UI needs none: it is
  // served from its own origin and proxies /api). Preflights are answered here, logged like any request.
  const origins = deps.config.corsOrigins;
  if (origins.length > 0) {
    app.use(
      cors({
        origin: origins.includes('*') ? '*' : origins,
        allowMethods: ['GET', 'HEAD', 'POST'],
        allowHeaders: ['Content-Type', 'Inference-Header-Content-Length'],
        exposeHeaders: ['Inference-Header-Content-Length', 'Retry-After'],
        maxAge: 600,
      }),
    );
  }

  for (const factory of routers) app.route('/', factory(deps));
  mountDocs(app, deps);

  // The API's root is its documentation. Relative, so that behind the UI's proxy /api/ leads to /api/docs (an
  // absolute /docs led to the UI's 404); the UI sends /api to /api/ first.
  app.get('/', (c) => c.redirect('docs'));

  const allowed = allowedMethods(app);
  app.notFound((c) => {
    const path = c.req.path.slice(0, 256);
    const allow = allowed(c.req.path);
    if (allow.length > 0) {
      c.header('Allow', allow.join(', '));
      const detail = `${path} does not take ${c.req.method}; it takes ${allow.join(', ')}`;
      return errorResponse(c, new ApiError(405, 'method_not_allowed', detail));
    }
    return errorResponse(c, new ApiError(404, 'not_found', `no route for ${c.req.method} ${path}`));
  });
  app.onError(handleErrors(deps));
  return app;
}

/** The methods the app's routes take at a path (HEAD with GET), for a 405's Allow header. */
function allowedMethods(app: Router): (path: string) => string[] {
  const endpoints = new TrieRouter<string>();
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue; // middleware
    endpoints.add(route.method, route.path, route.method);
    methods.add(route.method);
  }
  return (path) => {
    const allow = [...methods].filter((method) => endpoints.match(method, path)[0].length > 0);
    if (allow.includes('GET')) allow.push('HEAD');
    return allow;
  };
}

/** The peer address under @hono/node-server; undefined under app.request() in tests. */
function socketAddress(c: Parameters<typeof getConnInfo>[0]): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

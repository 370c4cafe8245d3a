// Entry point: `node dist/server/server.js` (PORT, API_URL, PROXY_* from the environment).
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { loadConfig, type UiConfig } from './config.js';
import { createIdTokenSource, metadataIdentityUrl } from './id-token.js';
import { writeLog } from './log.js';

let config: UiConfig;
try {
  config = loadConfig();
} catch (error) {
  console.error(`modelship ui: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const app = createApp({
  ...config,
  ...(config.idTokenAudience && {
    idToken: createIdTokenSource({ audience: config.idTokenAudience, url: metadataIdentityUrl() }),
  }),
});
const timeouts = config.httpTimeouts;
const server = serve(
  {
    fetch: app.fetch,
    port: config.port,
    hostname: config.host,
    // Explicit bounds on slow clients (Node's defaults are 60 s for headers and 300 s for the request),
    // checked every second.
    serverOptions: {
      headersTimeout: timeouts.headers * 1000,
      requestTimeout: timeouts.upload * 1000,
      keepAliveTimeout: timeouts.keepAlive * 1000,
      connectionsCheckingInterval: 1_000,
    },
  },
  (info) => {
    writeLog({
      message: `listening on http://${config.host}:${info.port}`,
      port: info.port,
      api: config.apiUrl,
      apiAuth: config.idTokenAudience ? 'id-token' : 'none',
      basicAuth: config.basicAuth !== undefined,
      static: config.staticDir,
    });
  },
);

server.on('error', (error: NodeJS.ErrnoException) => {
  const hint = error.code === 'EADDRINUSE' ? ' (another program uses this port: stop it, or set PORT)' : '';
  console.error(`modelship ui: cannot listen on ${config.host}:${config.port}: ${error.message}${hint}`);
  process.exit(1);
});

function shutdown(signal: string) {
  writeLog({ message: 'shutting down', signal });
  // Stop accepting, let requests in flight finish, then exit; don't hang on idle keep-alive sockets.
  server.close(() => process.exit(0));
  if ('closeIdleConnections' in server) server.closeIdleConnections();
  setTimeout(() => process.exit(0), 10_000).unref();
}
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));

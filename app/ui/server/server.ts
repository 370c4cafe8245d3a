// Entry point: `node dist/server/server.js` (PORT, API_URL, PROXY_* from the environment).
import { serveHttp } from '@modelship/api/http-server';
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
const { server, drain } = serveHttp(
  { fetch: app.fetch, port: config.port, hostname: config.host, timeouts: config.httpTimeouts },
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

/** Seconds that requests in flight (a prediction through the proxy) get after SIGTERM: the deadline and the
 * second after it end within Cloud Run's 10 s before SIGKILL (and compose's stop_grace_period). */
const SHUTDOWN_SECONDS = 8;

function shutdown(signal: string) {
  writeLog({ message: 'shutting down', signal });
  // As the API does: stop listening, answer what still arrives with Connection: close, exit once every
  // connection has ended (idle keep-alive ones at their timeout), or close them all at the deadline.
  drain({
    timeoutSeconds: SHUTDOWN_SECONDS,
    onDeadline: () =>
      writeLog({
        severity: 'WARNING',
        message: `requests still running after ${SHUTDOWN_SECONDS} s; closing them`,
      }),
    onClosed: () => process.exit(0),
  });
}
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));

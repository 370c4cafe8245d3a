#!/usr/bin/env node
// `npm start`: the API (:8000) and the UI (:8501) together, with the bundled model. Ctrl-C stops both.
// API_PORT and UI_PORT choose other ports; the exit code is the first failing service's.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const apiPort = process.env.API_PORT ?? '8000';
const uiPort = process.env.UI_PORT ?? '8501';
const services = [
  {
    name: 'api',
    entry: 'app/api/dist/server.js',
    // Only the UI needs to be reachable from other machines (it proxies /api), so the API stays on loopback.
    host: process.env.API_HOST ?? '127.0.0.1',
    port: apiPort,
    url: `http://localhost:${apiPort}/docs`,
  },
  {
    name: 'ui',
    entry: 'app/ui/dist/server/server.js',
    host: process.env.UI_HOST ?? '0.0.0.0',
    port: uiPort,
    env: { API_URL: `http://127.0.0.1:${apiPort}` },
    url: `http://localhost:${uiPort}`,
  },
].filter((s) => existsSync(new URL(`../${s.entry}`, import.meta.url)));

/** The error code binding host:port gives now (EADDRINUSE, EACCES...), or undefined when it is free. */
function bindError(host, port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error) => resolve(error.code ?? error.message));
    probe.listen(Number(port), host, () => probe.close(() => resolve(undefined)));
  });
}

// Checked up front so that a port left taken by the hands-on's FastAPI or docker compose gets one clear line
// saying what to do, not a service that starts and one that dies.
for (const s of services) {
  const error = await bindError(s.host, s.port);
  if (error) {
    const why = error === 'EADDRINUSE' ? 'is in use by another program' : `cannot be used (${error})`;
    console.error(
      `modelship: port ${s.port} (${s.name}) ${why}. Stop that program, or choose other ports: ` +
        'API_PORT=8100 UI_PORT=8600 npm start',
    );
    process.exit(1);
  }
}

let stopping = false;
const children = services.map((s) => {
  const child = spawn(process.execPath, [s.entry], {
    cwd: root,
    env: { ...process.env, ...s.env, PORT: s.port, HOST: s.host },
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`modelship: ${s.name} exited (${signal ?? code}); stopping`);
      stop(code || 1);
    }
  });
  return child;
});
for (const s of services) console.log(`modelship: ${s.name.padEnd(3)} → ${s.url}`);

function stop(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  // The children finish their requests in flight; don't wait on one that hangs.
  setTimeout(() => process.exit(), 15_000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

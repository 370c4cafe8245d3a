#!/usr/bin/env node
// `npm start`: the API (:8000) and the UI (:8501) together, with the bundled model. Ctrl-C stops both.
// API_PORT and UI_PORT choose other ports; the exit code is the first failing service's.
// Order: the ports are checked first (a copy already running keeps its dist/ untouched), then the workspaces
// whose sources changed are built, then both servers start, and one line says when the page is usable.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { buildIfChanged } from './build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A port setting, or its default when unset or empty; anything else ends here with one line naming it. */
function portSetting(name, fallback) {
  const value = process.env[name] || fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    console.error(`modelship: ${name}=${JSON.stringify(value)} is not a port: give a number from 1 to 65535`);
    process.exit(1);
  }
  return value;
}
const apiPort = portSetting('API_PORT', '8000');
const uiPort = portSetting('UI_PORT', '8501');
if (Number(apiPort) === Number(uiPort)) {
  // Both would pass the free-port check below, then the second server would find its port taken.
  console.error(`modelship: API_PORT and UI_PORT are both ${apiPort}: give them different ports`);
  process.exit(1);
}
const services = [
  {
    name: 'api',
    entry: 'app/api/dist/server.js',
    // The allocator settings the images set too (app/api/launch-env.json); a variable already set wins.
    defaults: JSON.parse(readFileSync(new URL('../app/api/launch-env.json', import.meta.url), 'utf8')),
    // Only the UI needs to be reachable from other machines (it proxies /api), so the API stays on loopback.
    // An empty value is unset, as for every setting (API_HOST= must not mean the servers' own 0.0.0.0).
    host: process.env.API_HOST || '127.0.0.1',
    port: apiPort,
    url: `http://localhost:${apiPort}/docs`,
    ready: '/ready',
  },
  {
    name: 'ui',
    entry: 'app/ui/dist/server/server.js',
    host: process.env.UI_HOST || '0.0.0.0',
    port: uiPort,
    env: { API_URL: `http://127.0.0.1:${apiPort}` },
    url: `http://localhost:${uiPort}`,
    ready: '/healthz',
  },
];

/** The error code binding host:port gives now (EADDRINUSE, EACCES...), or undefined when it is free. */
function bindError(host, port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error) => resolve(error.code ?? error.message));
    probe.listen(Number(port), host, () => probe.close(() => resolve(undefined)));
  });
}

// Checked before anything else so that a port left taken by the hands-on's FastAPI, docker compose or another
// `npm start` gets one clear line saying what to do, not a rebuild and then a service that dies.
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
/** The build or the servers: whatever runs now, so that a signal stops it. */
const children = [];

function stop(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  // The children finish their requests in flight; don't wait on one that hangs.
  setTimeout(() => process.exit(), 15_000).unref();
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(0));
// npm runs scripts through `sh -c`; package.json's `exec` makes this process npm's own child, so npm forwards
// SIGINT and SIGTERM here. npm does not forward SIGHUP (a closed terminal tab, `kill -HUP`): it just exits, so
// when our parent is gone, stop too instead of living on with both servers.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop(0);
}, 500).unref();

const built = await buildIfChanged({ onSpawn: (child) => children.push(child) });
if (stopping) process.exit();
if (built !== 0) process.exit(built);
children.length = 0;

for (const s of services) {
  const child = spawn(process.execPath, [s.entry], {
    cwd: root,
    env: { ...s.defaults, ...process.env, ...s.env, PORT: s.port, HOST: s.host },
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`modelship: ${s.name} exited (${signal ?? code}); stopping`);
      stop(code || 1);
    }
  });
  children.push(child);
  console.log(`modelship: ${s.name.padEnd(3)} → ${s.url}`);
}

/** Resolves once `path` answers 2xx on the service, or when stopping. */
async function untilReady(s) {
  const host = s.host === '0.0.0.0' || s.host === '::' ? '127.0.0.1' : s.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${s.port}${s.ready}`;
  while (!stopping) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
await Promise.all(services.map(untilReady));
if (!stopping) console.log(`modelship: ready: open http://localhost:${uiPort}`);

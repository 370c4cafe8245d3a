#!/usr/bin/env node
// `npm start`: the API (:8000) and the UI (:8501) together, with the bundled model. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const apiPort = process.env.API_PORT ?? '8000';
const uiPort = process.env.UI_PORT ?? '8501';
const services = [
  {
    name: 'api',
    entry: 'app/api/dist/server.js',
    // Only the UI needs to be reachable from other machines (it proxies /api), so the API stays on loopback.
    env: { PORT: apiPort, HOST: process.env.API_HOST ?? '127.0.0.1' },
    url: `http://localhost:${apiPort}/docs`,
  },
  {
    name: 'ui',
    entry: 'app/ui/dist/server/server.js',
    env: { PORT: uiPort, API_URL: `http://127.0.0.1:${apiPort}` },
    url: `http://localhost:${uiPort}`,
  },
].filter((s) => existsSync(new URL(`../${s.entry}`, import.meta.url)));

const children = services.map((s) => {
  const child = spawn(process.execPath, [s.entry], {
    cwd: root,
    env: { ...process.env, ...s.env },
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`modelship: ${s.name} exited (${signal ?? code}); stopping`);
      stop(code ?? 1);
    }
  });
  return child;
});
for (const s of services) console.log(`modelship: ${s.name.padEnd(3)} → ${s.url}`);

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  let alive = children.length;
  for (const child of children) {
    child.once('exit', () => {
      alive -= 1;
      if (alive === 0) process.exit(code);
    });
    child.kill('SIGTERM');
  }
  setTimeout(() => process.exit(code), 15_000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

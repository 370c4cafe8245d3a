#!/usr/bin/env node
// Runs `npm ci` when node_modules is missing or older than package-lock.json, so that
// `npm start` and `npm test` work on a fresh clone. Quick (two stat calls) otherwise.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const mtime = (path) => {
  try {
    return statSync(new URL(path, new URL('..', import.meta.url))).mtimeMs;
  } catch {
    return undefined;
  }
};

const lock = mtime('package-lock.json');
const installed = mtime('node_modules/.package-lock.json');
if (installed === undefined || (lock !== undefined && installed < lock)) {
  console.error(`modelship: ${installed === undefined ? 'installing' : 'updating'} dependencies (npm ci)…`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // npm 11+ skips onnxruntime-node's CUDA download by package.json's allowScripts; npm 10 runs its install
  // script, which reads this variable (the CPU binaries ship inside the package).
  const env = { ONNXRUNTIME_NODE_INSTALL: 'skip', ...process.env };
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

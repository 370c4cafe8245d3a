#!/usr/bin/env node
// `npm run build`: builds each workspace whose inputs changed since its last build, and skips the others.
// A workspace's inputs are its own files (but not dist/, node_modules/ or test/), the files it shares with
// the others (tsconfig.base.json, the lockfile) and those it names in SHARED below; their SHA-256 is kept
// in <workspace>/dist/.inputs-sha256 once the build succeeds. `--force` rebuilds everything.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SKIPPED_DIRS = new Set(['dist', 'node_modules', 'test']);
const COMMON = ['tsconfig.base.json', 'package-lock.json'];
/** Files outside a workspace that its build reads: the page's types come from the API's contract, the UI
 * server's from the modules it shares with the API (the HTTP server, the environment rules). */
const SHARED = {
  'app/ui': [
    'app/api/src/contract.ts',
    'app/api/src/http-server.ts',
    'app/api/src/shared-env.ts',
    'app/api/src/decimal.ts',
    'app/api/package.json',
  ],
};

function* files(path) {
  const entries = readdirSync(join(root, path), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* files(child);
    } else if (entry.isFile()) yield child;
  }
}

/** The SHA-256 over the names and contents of everything the workspace's build reads. */
export function inputsHash(workspace) {
  const hash = createHash('sha256');
  const paths = [workspace, ...COMMON, ...(SHARED[workspace] ?? [])];
  for (const path of paths) {
    if (!existsSync(join(root, path))) continue;
    const list = statSync(join(root, path)).isDirectory() ? [...files(path)] : [path];
    for (const file of list) {
      hash.update(`${relative(root, join(root, file))}\0`);
      hash.update(readFileSync(join(root, file)));
      hash.update('\0');
    }
  }
  return hash.digest('hex');
}

const stampOf = (workspace) => join(root, workspace, 'dist', '.inputs-sha256');

/** Runs `npm run build` in one workspace; resolves to its exit code, its output kept for a failure. */
function buildWorkspace(workspace, onSpawn) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawn(npm, ['run', 'build', '--silent', '--workspace', workspace], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onSpawn(child);
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      // Its output (tsc's errors, vite's list of assets) is shown only when the build fails.
      if (code !== 0) {
        process.stderr.write(output);
        console.error(`modelship: building ${workspace} failed (${signal ?? `exit ${code}`})`);
      }
      resolve(code ?? 1);
    }),
  );
}

/**
 * Builds the workspaces whose inputs changed; resolves to the exit code of the first failed build, else 0.
 * `onSpawn` gets each build's child process, so that a caller can stop it on Ctrl-C.
 */
export async function buildIfChanged({ force = false, log = console.log, onSpawn = () => {} } = {}) {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  for (const workspace of workspaces) {
    const hash = inputsHash(workspace);
    const stamp = stampOf(workspace);
    if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) continue;
    log(`modelship: building ${workspace}…`);
    const code = await buildWorkspace(workspace, onSpawn);
    if (code !== 0) return code;
    writeFileSync(stamp, hash);
  }
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await buildIfChanged({ force: process.argv.includes('--force') });
}

#!/usr/bin/env node
// Lints every shell script in the repository with shellcheck. On a laptop without shellcheck it says
// so and passes; CI (CI=true) installs it and requires it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const files = spawnSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '*.sh', '.ci/run'],
  {
    cwd: root,
    encoding: 'utf8',
  },
)
  .stdout.split('\n')
  .filter(Boolean);
const probe = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
if (probe.error) {
  if (process.env.CI) {
    console.error('shellcheck: not installed, and CI requires it (apt-get install shellcheck)');
    process.exit(1);
  }
  console.warn('shellcheck: not installed; skipping (apt-get install shellcheck to lint the shell scripts)');
  process.exit(0);
}
const result = spawnSync('shellcheck', ['--external-sources', ...files], { cwd: root, stdio: 'inherit' });
if (result.status === 0) console.log(`shellcheck: ${files.length} scripts clean`);
process.exit(result.status ?? 1);

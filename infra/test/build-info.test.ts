import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildInfo, contextFiles, IMAGE_INPUTS, imageRevision } from '../build-info.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], { stdio: 'ignore' });

/** A copy of what the images are built from (and a README), in a fresh folder. */
function checkout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'modelship-ctx-'));
  for (const path of ['Dockerfile', '.dockerignore', 'README.md', ...IMAGE_INPUTS.api, ...IMAGE_INPUTS.ui]) {
    cpSync(join(repoRoot, path), join(dir, path), {
      recursive: true,
      filter: (src) => !/[/\\](node_modules|dist)$/.test(src),
    });
  }
  return dir;
}
const revisions = (dir: string) => ({ api: imageRevision(dir, 'api'), ui: imageRevision(dir, 'ui') });

describe('image revisions', () => {
  const dir = checkout();
  const before = revisions(dir);

  it('are content digests, the same for the same files at another path', () => {
    expect(before.api).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(before.api).not.toBe(before.ui);
    expect(revisions(repoRoot)).toEqual(before);
  });

  it('leave out what .dockerignore leaves out of the build context: tests, node_modules, build output', () => {
    mkdirSync(join(dir, 'app/api/node_modules/x'), { recursive: true });
    writeFileSync(join(dir, 'app/api/node_modules/x/index.js'), 'x');
    writeFileSync(join(dir, 'app/api/test/extra.test.ts'), 'x');
    writeFileSync(join(dir, 'README.md'), 'a README-only commit\n');
    expect(revisions(dir)).toEqual(before);
    const files = contextFiles(dir, IMAGE_INPUTS.api);
    expect(files).toContain('app/api/src/server.ts');
    expect(files).toContain('models/ocr/model.json');
    expect(files.filter((f) => /node_modules|\/test\/|dist\//.test(f))).toEqual([]);
  });

  it('change for the API only when a file under app/api changes, and for both when the Dockerfile does', () => {
    const server = join(dir, 'app/api/src/server.ts');
    const original = readFileSync(server, 'utf8');
    writeFileSync(server, `${original}// changed\n`);
    const apiChanged = revisions(dir);
    expect(apiChanged.api).not.toBe(before.api);
    expect(apiChanged.ui).toBe(before.ui);
    writeFileSync(server, original);
    expect(revisions(dir)).toEqual(before);

    const ui = join(dir, 'app/ui/server/app.ts');
    writeFileSync(ui, `${readFileSync(ui, 'utf8')}// changed\n`);
    expect(revisions(dir)).toEqual({ api: before.api, ui: expect.not.stringMatching(before.ui) });

    writeFileSync(join(dir, 'Dockerfile'), `${readFileSync(join(dir, 'Dockerfile'), 'utf8')}# changed\n`);
    const both = revisions(dir);
    expect(both.api).not.toBe(before.api);
  });

  it('follow the bytes Docker sends: CRLF line endings are another revision (other files in the image)', () => {
    const crlf = checkout();
    const file = join(crlf, 'app/api/src/server.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
    expect(revisions(crlf).api).not.toBe(before.api);
    expect(revisions(crlf).ui).toBe(before.ui);
  });
});

describe('buildInfo', () => {
  it('is "unknown" as source outside a git clone, with the revisions still computed', () => {
    const dir = checkout();
    expect(buildInfo(dir)).toEqual({ revisions: revisions(dir), source: 'unknown' });
  });

  it('drops credentials from the remote URL, and no commit changes the revisions', () => {
    const dir = checkout();
    git(dir, 'init', '-q');
    git(dir, 'remote', 'add', 'origin', 'https://student:ghp_secret@example.com/class/modelship.git');
    const info = buildInfo(dir);
    expect(info.source).toBe('https://example.com/class/modelship.git');
    git(dir, 'add', '.');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'a');
    expect(buildInfo(dir).revisions).toEqual(info.revisions);
  });
});

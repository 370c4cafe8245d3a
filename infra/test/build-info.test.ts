import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInfo } from '../build-info.js';

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], { stdio: 'ignore' });

describe('buildInfo', () => {
  it('is "unknown" outside a git checkout', () => {
    expect(buildInfo(mkdtempSync(join(tmpdir(), 'nogit-')))).toEqual({
      revision: 'unknown',
      source: 'unknown',
    });
  });

  it('reads the commit, marks local changes, and drops credentials from the remote URL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'git-'));
    git(dir, 'init', '-q');
    writeFileSync(join(dir, 'a.txt'), 'a');
    git(dir, 'add', 'a.txt');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'a');
    git(dir, 'remote', 'add', 'origin', 'https://student:ghp_secret@example.com/class/modelship.git');
    const clean = buildInfo(dir);
    expect(clean.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(clean.source).toBe('https://example.com/class/modelship.git');
    writeFileSync(join(dir, 'a.txt'), 'b');
    expect(buildInfo(dir).revision).toBe(`${clean.revision}-dirty`);
  });
});

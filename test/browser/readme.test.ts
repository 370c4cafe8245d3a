// Every command in README.md's fenced shell examples that talks to the local stack runs, as written, from the
// repository root against a live API and UI: the files it names exist in a fresh clone, the shell syntax
// works in a POSIX sh (no GNU-only flags), and the answer is the JSON the README promises, not an error.
// The one change made to a command: the stack here listens on free ports, so localhost:8000 and
// localhost:8501 are pointed at them (this machine is shared; the ports may be taken).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, stackForSuite } from './stack.js';

/** The commands of ```bash / ```sh / ```shell blocks (continuation lines joined) that target localhost. */
function localhostCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of markdown.matchAll(/^```(?:bash|sh|shell)\n([\s\S]*?)^```/gm)) {
    const joined = (block[1] ?? '').replace(/\\\n\s*/g, ' ');
    for (const line of joined.split('\n')) {
      if (/^\s*curl\b/.test(line) && /\blocalhost\b/.test(line)) commands.push(line.trim());
    }
  }
  return commands;
}

const commands = localhostCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const stack = stackForSuite();

describe('README.md examples', () => {
  it('has curl examples for the API, the UI proxy and v2, none with GNU-only base64 or a missing file', () => {
    expect(commands.length).toBeGreaterThanOrEqual(6);
    expect(commands.some((c) => c.includes('localhost:8501'))).toBe(true);
    expect(commands.some((c) => c.includes('/v2/'))).toBe(true);
    for (const command of commands) {
      expect(command).not.toMatch(/base64 -w/);
      for (const [, file] of command.matchAll(/@([\w./-]+)/g))
        expect(() => readFileSync(join(ROOT, file ?? ''))).not.toThrow();
    }
  });

  it.each(commands.map((c) => [c]))('runs: %s', (command) => {
    const local = command
      .replaceAll('localhost:8000', new URL(stack.api.url).host)
      .replaceAll('localhost:8501', new URL(stack.ui.url).host);
    const out = execFileSync('sh', ['-c', local], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    const answer = JSON.parse(out) as unknown;
    expect(answer, out).not.toHaveProperty('error');
    if (/predict|infer/.test(command)) {
      // A prediction that read something: the hands-on's detections, or v2's output tensors.
      const text = JSON.stringify(answer);
      expect(text, out).toMatch(/"detections":\[\{|"outputs":\[\{/);
    }
  });
});

// The bench starts each API with the environment its own launchers give it (app/api/launch-env.json), read
// from the tree being measured, so a commit before the file existed is measured without it.
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_ENTRY, launchEnv } from '../lib/api-process.js';

describe('launchEnv', () => {
  it("is the API's launch-env.json next to its dist/, and empty for a tree without one", () => {
    expect(launchEnv(API_ENTRY)).toEqual(JSON.parse(readFileSync('app/api/launch-env.json', 'utf8')));
    const tree = mkdtempSync(join(tmpdir(), 'modelship-launch-env-'));
    mkdirSync(join(tree, 'app/api/dist'), { recursive: true });
    expect(launchEnv(join(tree, API_ENTRY))).toEqual({});
  });
});

// The page and the UI server know the API only through its public contract (`@modelship/api/contract`),
// and only its types: nothing of the API's code is bundled into the page. The one module of the API the UI
// server runs is the HTTP server both share (`@modelship/api/http-server`), which imports nothing the UI
// image lacks.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ui = fileURLToPath(new URL('..', import.meta.url));
const SHARED_SERVER = '@modelship/api/http-server';

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(?:ts|mts|js|mjs)$/.test(entry.name)) yield path;
  }
}

/** Every `import ... from '<specifier>'` and `export ... from '<specifier>'`, with whether it is type-only. */
function imports(source: string) {
  return [...source.matchAll(/^(import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)'/gms)].map((m) => ({
    typeOnly: Boolean(m[2]),
    specifier: m[3] ?? '',
  }));
}

describe('the UI and the API contract', () => {
  const files = [...sources(join(ui, 'web/src')), ...sources(join(ui, 'server'))];

  it('finds the sources it checks', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it('imports nothing of the API but the types of its contract', () => {
    const offending: string[] = [];
    let contractImports = 0;
    for (const file of files) {
      for (const { typeOnly, specifier } of imports(readFileSync(file, 'utf8'))) {
        const intoApi = specifier.startsWith('@modelship/api') || /(^|\/)api\/src\//.test(specifier);
        if (!intoApi) continue;
        if (specifier === '@modelship/api/contract' && typeOnly) contractImports += 1;
        else if (specifier === SHARED_SERVER && file.startsWith(join(ui, 'server'))) continue;
        else offending.push(`${file}: ${typeOnly ? 'import type' : 'import'} '${specifier}'`);
      }
    }
    expect(offending).toEqual([]);
    expect(contractImports).toBeGreaterThan(0);
  });

  it('runs, of the API, only the shared HTTP server, which needs nothing but Node and the UI dependencies', () => {
    const api = join(ui, '../api');
    const exported = JSON.parse(readFileSync(join(api, 'package.json'), 'utf8')).exports['./http-server'];
    const source = readFileSync(join(api, exported.types), 'utf8');
    const uiDependencies = Object.keys(
      JSON.parse(readFileSync(join(ui, 'package.json'), 'utf8')).dependencies,
    );
    const needed = imports(source).filter((i) => !i.typeOnly && !i.specifier.startsWith('node:'));
    expect(needed.length).toBeGreaterThan(0);
    for (const { specifier } of needed) {
      expect(
        uiDependencies.some((d) => specifier === d || specifier.startsWith(`${d}/`)),
        specifier,
      ).toBe(true);
    }
  });
});

// The page and the UI server know the API only through its public contract (`@modelship/api/contract`),
// and only its types: nothing of the API's code is bundled into the page or loaded by the UI server.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ui = fileURLToPath(new URL('..', import.meta.url));

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
        else offending.push(`${file}: ${typeOnly ? 'import type' : 'import'} '${specifier}'`);
      }
    }
    expect(offending).toEqual([]);
    expect(contractImports).toBeGreaterThan(0);
  });
});

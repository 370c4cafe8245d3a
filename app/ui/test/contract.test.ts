// The page and the UI server know the API only through its public contract (`@modelship/api/contract`),
// and only its types: nothing of the API's code is bundled into the page. The modules of the API the UI
// server runs are those both servers share (the HTTP server, the environment rules), which import nothing
// the UI image lacks.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ui = fileURLToPath(new URL('..', import.meta.url));
const api = join(ui, '../api');
const SHARED_MODULES = ['@modelship/api/http-server', '@modelship/api/shared-env'];

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
        else if (SHARED_MODULES.includes(specifier) && file.startsWith(join(ui, 'server'))) continue;
        else offending.push(`${file}: ${typeOnly ? 'import type' : 'import'} '${specifier}'`);
      }
    }
    expect(offending).toEqual([]);
    expect(contractImports).toBeGreaterThan(0);
  });

  it('runs, of the API, only the shared modules, which need nothing but Node and the UI dependencies', () => {
    const exports = JSON.parse(readFileSync(join(api, 'package.json'), 'utf8')).exports;
    const uiDependencies = Object.keys(
      JSON.parse(readFileSync(join(ui, 'package.json'), 'utf8')).dependencies,
    );
    // Each shared module's source and the API files it imports in turn (relative imports: './decimal.js').
    const seen = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const { typeOnly, specifier } of imports(readFileSync(file, 'utf8'))) {
        if (typeOnly || specifier.startsWith('node:')) continue;
        if (specifier.startsWith('.')) walk(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
        else
          expect(
            uiDependencies.some((d) => specifier === d || specifier.startsWith(`${d}/`)),
            `${file}: ${specifier}`,
          ).toBe(true);
      }
    };
    for (const name of SHARED_MODULES) walk(join(api, exports[name.replace('@modelship/api', '.')].types));
    expect([...seen].map((file) => file.slice(api.length + 1)).sort()).toEqual([
      'src/decimal.ts',
      'src/http-server.ts',
      'src/shared-env.ts',
    ]);
  });
});

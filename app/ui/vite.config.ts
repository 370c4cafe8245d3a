// Builds the front end (web/) into dist/public: hashed assets, no inline scripts (the server's CSP forbids
// them), and a .br and .gz copy of every compressible file for serveStatic's `precompressed` mode.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const outDir = fileURLToPath(new URL('./dist/public', import.meta.url));
const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|txt|map)$/;

async function* files(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

function precompress(): Plugin {
  return {
    name: 'modelship-precompress',
    apply: 'build',
    async closeBundle() {
      for await (const path of files(outDir)) {
        if (!COMPRESSIBLE.test(path)) continue;
        const data = await readFile(path);
        if (data.length < 512) continue;
        const [br, gz] = await Promise.all([
          promisify(brotliCompress)(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
          promisify(gzip)(data, { level: 9 }),
        ]);
        await Promise.all([writeFile(`${path}.br`, br), writeFile(`${path}.gz`, gz)]);
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: '/',
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    // Samples and icons stay files (CSP: img-src 'self'), and no inline modulepreload polyfill.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    // `npx vite` in app/ui for live editing: /api goes to the API as in production.
    proxy: {
      '/api': {
        target: process.env.API_URL ?? 'http://localhost:8000',
        rewrite: (p) => p.replace(/^\/api/, ''),
      },
    },
  },
  plugins: [precompress()],
});

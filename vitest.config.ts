import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `npm test`: unit, API and infra suites. The browser, Docker and VM suites have their own configs
// (test/*/vitest.config.ts) because they need Chromium or a Docker engine.
export default defineConfig({
  // The UI imports the API's modules both servers share (@modelship/api/http-server and /shared-env): tests take
  // their source, not a build that may be stale or missing on a fresh clone (the package's "source" export).
  resolve: {
    alias: {
      '@modelship/api/http-server': fileURLToPath(new URL('app/api/src/http-server.ts', import.meta.url)),
      '@modelship/api/shared-env': fileURLToPath(new URL('app/api/src/shared-env.ts', import.meta.url)),
    },
  },
  test: {
    include: ['app/*/test/**/*.test.ts', 'infra/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

import { defineConfig } from 'vitest/config';

// `npm test`: unit, API and infra suites. The browser, Docker and VM suites have their own configs
// (test/*/vitest.config.ts) because they need Chromium or a Docker engine.
export default defineConfig({
  test: {
    include: ['app/*/test/**/*.test.ts', 'infra/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

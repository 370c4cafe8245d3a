import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the page in real headless Chromium against the real API and UI servers
// (built by `npm run build` first). One file at a time: they start their own servers.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 180_000,
  },
});

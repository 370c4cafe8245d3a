import { defineConfig } from 'vitest/config';

// `npm run test:hostile`: the API and UI servers (built output) under hostile traffic and faults: huge and
// random model names, dense-text images, SIGTERM under keep-alive load, big uploads through the proxy,
// slowloris. One file at a time: each starts its own servers and loads the CPU. Every loop is bounded.
export default defineConfig({
  test: {
    include: ['test/hostile/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 180_000,
  },
});

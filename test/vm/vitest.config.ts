import { defineConfig } from 'vitest/config';

// `npm run test:vm`: the VM rehearsal. Needs root and a Docker engine; offline, the rehearsal runs
// ../shared/docker-offline/setup itself, and with internet it pulls the base images and starts a registry.
// Its steps share one deployment, so they run in order, in one file at a time.
export default defineConfig({
  test: {
    include: ['test/vm/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});

import { defineConfig } from 'vitest/config';

// `npm run test:docker`: builds the images and runs the compose stack on a real Docker engine.
export default defineConfig({
  test: {
    include: ['test/docker/**/*.test.ts'],
    // one stack at a time, in file order
    fileParallelism: false,
    testTimeout: 180_000,
    // the first build on a fresh machine downloads every npm package
    hookTimeout: 900_000,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration files each start their own embedded stack; a fork per file keeps their JVMs and
    // servers apart when a file fails.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

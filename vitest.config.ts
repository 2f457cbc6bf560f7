import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration files each start their own embedded stack (one per process: handlers read config once).
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

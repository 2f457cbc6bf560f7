import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration files each start their own embedded stack; a fork per file keeps their JVMs and
    // servers apart when a file fails.
    pool: 'forks',
    // Two files at a time on a 2-core machine: most of an integration file's time is spent waiting
    // (JVM start, workflow timeouts), not computing.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});

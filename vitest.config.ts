import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Two files at a time on a 2-core machine: most of an integration file's time is spent waiting
    // (JVM start, workflow timeouts), not computing.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          // The fast tier (`npm run test:unit`): pure code, no servers, no synth. One module graph per
          // worker thread instead of a fresh one per file: importing is most of these files' time.
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          // Integration files each start their own embedded stack; a fork per file keeps their JVMs
          // and servers apart when a file fails.
          name: 'stack',
          include: ['test/{integration,infra,e2e}/**/*.test.ts'],
          pool: 'forks',
        },
      },
    ],
  },
});

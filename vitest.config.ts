import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    // The e2e and integration files spend most of their time waiting on a dev server child process
    // or an embedded engine, so two files at a time keep a 2-core machine busy (vitest's default
    // is cores - 1: one file at a time there).
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});

import { defineConfig } from 'vitest/config';

// Three projects, each one layer of `npm test`: the card's component tests (happy-dom), integration
// tests against the running local stack, and browser tests driving Debian's Chromium.
export default defineConfig({
  test: {
    projects: [
      // Extends the web project's own config; the root is set here because a config loaded as a
      // project is bundled elsewhere, so its own import.meta.url cannot locate the repository.
      { extends: './web/vitest.config.ts', root: '.', test: { name: 'web' } },
      {
        test: {
          name: 'integration',
          environment: 'node',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The tests share one stack and one sandbox; running files one by one keeps them honest.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['tests/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

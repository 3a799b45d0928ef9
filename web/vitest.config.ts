import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The repository root, so the include globs work both when run directly
// (`npx vitest run --config web/vitest.config.ts`) and as a project of a root config.
const repoRoot = decodeURIComponent(new URL('..', import.meta.url).pathname);

export default defineConfig({
  root: repoRoot,
  plugins: [react()],
  test: {
    name: 'web',
    environment: 'happy-dom',
    include: ['web/src/**/*.test.{ts,tsx}'],
    setupFiles: ['web/src/test/setup.ts'],
    restoreMocks: true,
  },
});

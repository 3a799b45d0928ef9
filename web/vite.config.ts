import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Read through globalThis so this file type-checks without pulling Node's globals into the web code.
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

function port(): number {
  const raw = env['WEB_PORT'];
  if (raw === undefined || raw === '') return 5173;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) {
    throw new Error(`WEB_PORT must be a TCP port number, got "${raw}"`);
  }
  return value;
}

const webRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

// Each stack gives Vite a dependency cache of its own (in its data folder): `npm start`, `npm test`'s
// private stack and a copied checkout whose node_modules is a symlink would otherwise share
// node_modules/.vite, and one Vite rebuilding it under another leaves that one hanging.
const cacheDir = env['VITE_CACHE_DIR'];

export default defineConfig({
  root: webRoot,
  ...(cacheDir ? { cacheDir } : {}),
  plugins: [react()],
  server: { host: '127.0.0.1', port: port(), strictPort: true },
  preview: { host: '127.0.0.1', port: port(), strictPort: true },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
});

// The web UI's bundle: static files under dist/apps/web, served at `/` by the all-in-one server.
// `npx vite apps/web` is a development server that proxies the API to a Cairn on :5000.
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = path.dirname(new URL(import.meta.url).pathname);
const api = process.env.CAIRN_URL ?? 'http://127.0.0.1:5000';

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  // Relative asset URLs (base './'): the same files work under a path prefix behind a proxy.
  build: {
    outDir: path.resolve(root, '../../dist/apps/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: { proxy: { '/api': api, '/ajax-api': api, '/get-artifact': api, '/auth': api } },
});

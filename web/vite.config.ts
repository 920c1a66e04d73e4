// Builds the page into CLAUDELENS_WEB_OUT (default ../build/web), which `claudelens serve` serves at /.
// Hashed file names under assets/ let the server mark them immutable. Vitest runs the component tests
// in happy-dom.
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: process.env.CLAUDELENS_WEB_OUT ?? resolve(import.meta.dirname, '../build/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/ws': { target: 'ws://127.0.0.1:8080', ws: true } },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { subresourceIntegrity } from './sri-plugin.ts';

/** `npm run dev` proxies the API to a running server (`npm start`, port 3000 unless NAMASKAH_API says otherwise). */
const api = process.env.NAMASKAH_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), subresourceIntegrity()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline data: URLs for assets: everything is a file the CSP and SRI can cover.
    assetsInlineLimit: 0,
    target: 'es2022',
  },
  worker: { format: 'es' },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/_sandbox': { target: api, changeOrigin: false },
      '/healthz': { target: api },
    },
  },
});

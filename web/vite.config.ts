/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is served by partnercloud itself (api/web_routes.cpp): hashed files under /assets,
// index.html for every other page. `npm run dev` proxies /api to a running `partnercloud demo`.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    // No inline scripts or data: URLs for modules: the page's CSP allows only 'self'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
  },
  server: { proxy: { '/api': process.env.PC_API ?? 'http://127.0.0.1:8080' } },
  preview: { proxy: { '/api': process.env.PC_API ?? 'http://127.0.0.1:8080' } },
  test: {
    environment: 'jsdom',
    globals: true,
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});

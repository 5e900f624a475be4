/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { fileURLToPath } from 'node:url';

// The dashboard is a static bundle: relative asset URLs (base './') plus hash
// routing mean the same build works from any static host and any sub-path
// (S3 website, CloudFront, nginx, `scripts/up`) without rewrite rules. The API
// base URL is read at runtime from config.json beside index.html.
export default defineConfig({
  base: './',
  plugins: [react(), tailwindcss()],
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    // `npm run dev` talks to a local API through this proxy (config.json apiBase "").
    proxy: { '/api': process.env.ATLHYPER_API ?? 'http://127.0.0.1:8080' },
  },
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            // One chunk per language holding every feature's strings, so
            // switching language costs one request and English users never
            // download Chinese or Japanese.
            {
              name: (id) => {
                const m = /\/locales\/(en|zh|ja)\.json$/.exec(id);
                return m ? `locale-${m[1]}` : null;
              },
              test: /\/locales\/(en|zh|ja)\.json$/,
            },
          ],
        },
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
  },
});

import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vitest/config';

// Built like django-vite expects: assets under /static/, `<outDir>/.vite/manifest.json` keyed by
// `src/main.ts`. The server renders the HTML shell from that manifest (apps/server/src/http/spa.ts).
export default defineConfig({
  plugins: [vue()],
  base: '/static/',
  resolve: { conditions: ['development'] },
  build: {
    outDir: process.env.LX_WEB_OUT_DIR ?? 'dist',
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    target: 'es2022',
    rollupOptions: { input: 'src/main.ts' },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
});

/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'
import tailwindcss from '@tailwindcss/vite'

// `npm run dev`: the pages with hot reload on :5173, the API proxied to a running recsys-server
// (RECSYS_API, default http://127.0.0.1:8080), so both share one origin as in production.
const api = process.env.RECSYS_API ?? 'http://127.0.0.1:8080'

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    proxy: { '/api': api, '/health': api, '/openapi.json': api, '/docs': api },
  },
  build: {
    // the budget script reads which chunks index.html loads first
    manifest: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: 'happy-dom',
    // relative API paths resolve against this origin, as they do against the server's
    environmentOptions: { happyDOM: { url: 'http://shop.test/' } },
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
  },
})

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// React Router 8 (installed as react-router-8) needs Node 22.22 or later: CI runs this on Node 24.
// The React Router example imports the package by name: here that is the source, so this run
// needs no build first.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^react-router(?=$|\/)/, replacement: 'react-router-8' },
      { find: /^drizzle-pgstore$/, replacement: source('./src/index.ts') },
      { find: /^drizzle-pgstore\/react-router$/, replacement: source('./src/integrations/react-router.ts') },
    ],
  },
  test: { ...base.test, include: ['test/integrations.test.ts'], typecheck: { enabled: false }, env: { REACT_ROUTER_MAJOR: '8' } },
});

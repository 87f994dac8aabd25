import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// React Router 8 (installed as react-router-8) needs Node 22.22 or later: CI runs this on Node 24.
export default defineConfig({
  resolve: { alias: { 'react-router': 'react-router-8' } },
  test: { ...base.test, include: ['test/integrations.test.ts'], typecheck: { enabled: false }, env: { REACT_ROUTER_MAJOR: '8' } },
});

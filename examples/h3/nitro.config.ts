import { defineConfig } from 'nitro';

// The same example as a Nitro 3 app: `npm run build && node .output/server/index.mjs`.
export default defineConfig({ serverDir: './server' });

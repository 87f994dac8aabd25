import adapter from '@sveltejs/adapter-node';
import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// CSRF: SvelteKit refuses form posts whose Origin is not the app's own (on by default;
// csrf.trustedOrigins would let others in). adapter-node learns the app's origin from ORIGIN.
export default defineConfig({
  plugins: [sveltekit({ adapter: adapter() })],
});

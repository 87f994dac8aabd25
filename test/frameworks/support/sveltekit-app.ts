import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExampleApp } from './example-app.js';

/**
 * Files only the test needs, around the example's own hooks (which stay as they are, in
 * src/example-hooks.ts). Two ways for a request to fail, each setting a preference that must
 * not be kept: a hook after the example's that throws, so `resolve` rejects inside
 * sessionHandle, and an endpoint that throws, which SvelteKit answers with a 500 page. And a
 * page whose load streams a promise, having set a preference that must be kept.
 */
const TEST_FILES: Record<string, string> = {
  'src/hooks.server.ts': `import { sequence } from '@sveltejs/kit/hooks';
import { handle as exampleHandle } from './example-hooks.ts';

export const handle = sequence(exampleHandle, async ({ event, resolve }) => {
  if (event.url.pathname !== '/test/failing-hook') return resolve(event);
  event.locals.session.set('pref:from-failing-hook', 'lost');
  throw new Error('a later hook failed');
});
`,
  'src/routes/test/failing-endpoint/+server.ts': `import type { RequestHandler } from './$types';

export const POST: RequestHandler = ({ locals }) => {
  locals.session.set('pref:from-failing-endpoint', 'lost');
  throw new Error('the endpoint failed');
};
`,
  'src/routes/test/streaming/+page.server.ts': `import type { PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => {
  locals.session.set('pref:streamed', 'kept');
  return { later: new Promise<string>((resolve) => setTimeout(() => resolve('streamed-at-last'), 300)) };
};
`,
  'src/routes/test/streaming/+page.svelte': `<script lang="ts">
  let { data } = $props();
</script>

{#await data.later}<p>waiting</p>{:then text}<p>{text}</p>{/await}
`,
};

/** Adds the test's files to the example's copy, before it is type-checked and built. */
export async function addTestRoutes(app: ExampleApp): Promise<void> {
  await rename(join(app.dir, 'src/hooks.server.ts'), join(app.dir, 'src/example-hooks.ts'));
  for (const [path, text] of Object.entries(TEST_FILES)) {
    await mkdir(dirname(join(app.dir, path)), { recursive: true });
    await writeFile(join(app.dir, path), text);
  }
}

/**
 * `node build`, with ORIGIN set as adapter-node needs it: the address users reach the app
 * at (here the port installExample's `start` picked), which SvelteKit's CSRF check compares
 * each form post's Origin with. Without it adapter-node assumes https, and refuses every
 * form post that comes over plain HTTP.
 */
export const NODE_BUILD_WITH_ORIGIN = [
  '-e',
  "process.env.ORIGIN = `http://${process.env.HOST}:${process.env.PORT}`; import('./build/index.js');",
];

import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExampleApp } from './example-app.js';

/**
 * Routes only the test needs, added to the example's copy before it is built, around the
 * example's own hooks (kept as they are, under another file name). Two ways for a request
 * to fail, each setting a preference that must not be kept: a hook after the example's
 * that throws, so `resolve` rejects inside sessionHandle, and an endpoint that throws, which
 * SvelteKit answers with a 500 page. And a page whose load streams a promise, set before
 * the load returns, which must be kept.
 */
export async function addTestRoutes(app: ExampleApp): Promise<void> {
  await rename(join(app.dir, 'src/hooks.server.ts'), join(app.dir, 'src/example-hooks.ts'));
  await writeFile(
    join(app.dir, 'src/hooks.server.ts'),
    `import { sequence } from '@sveltejs/kit/hooks';
import { handle as exampleHandle } from './example-hooks.ts';

export const handle = sequence(exampleHandle, async ({ event, resolve }) => {
  if (event.url.pathname !== '/test/failing-hook') return resolve(event);
  event.locals.session.set('pref:from-failing-hook', 'lost');
  throw new Error('a later hook failed');
});
`,
  );
  await mkdir(join(app.dir, 'src/routes/test/failing-endpoint'), { recursive: true });
  await writeFile(
    join(app.dir, 'src/routes/test/failing-endpoint/+server.ts'),
    `import type { RequestHandler } from './$types';

export const POST: RequestHandler = ({ locals }) => {
  locals.session.set('pref:from-failing-endpoint', 'lost');
  throw new Error('the endpoint failed');
};
`,
  );
  await mkdir(join(app.dir, 'src/routes/test/streaming'), { recursive: true });
  await writeFile(
    join(app.dir, 'src/routes/test/streaming/+page.server.ts'),
    `import type { PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals }) => {
  locals.session.set('pref:streamed', 'kept');
  return { later: new Promise<string>((resolve) => setTimeout(() => resolve('streamed-at-last'), 300)) };
};
`,
  );
  await writeFile(
    join(app.dir, 'src/routes/test/streaming/+page.svelte'),
    `<script lang="ts">
  let { data } = $props();
</script>

{#await data.later}<p>waiting</p>{:then text}<p>{text}</p>{/await}
`,
  );
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

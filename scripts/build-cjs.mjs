// The CommonJS build, made after tsc has written the ES modules and their declarations to
// dist/. Every library module in src/ (not the command in src/cli, which is ESM only) gets
// a twin beside it: dist/<path>.cjs, compiled from src/<path>.ts, and dist/<name>.d.cts,
// its declarations with relative imports pointing at the twins. Modules stay one file each,
// so the CommonJS entry points share one copy of each class just as the ES ones do; and a
// .d.cts imports drizzle-orm as CommonJS, so its types are the ones a CommonJS app has.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

// Paths under src/ without `.ts`, e.g. `store` and `manager/session`.
const modules = (await readdir('src', { recursive: true }))
  .filter((path) => path.endsWith('.ts') && !path.startsWith('cli/'))
  .map((path) => path.slice(0, -'.ts'.length));

/** `./store.js` becomes `./store.cjs`; anything that is not a relative `.js` path stays. */
const toTwin = (specifier) => specifier.replace(/^(\.{1,2}\/.*)\.js$/, '$1.cjs');

// Bundling is on only so that esbuild hands every import to this plugin: each relative
// import becomes a require of its twin, each package stays a require of that package.
const result = await build({
  entryPoints: modules.map((name) => `src/${name}.ts`),
  outdir: 'dist',
  outbase: 'src',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  packages: 'external',
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // A module finds files beside it by import.meta.dirname (Node >= 20.11), which is
  // CommonJS's __dirname under another name; import.meta has nothing else a CommonJS twin
  // could give, so any other use of it is left to fail the build below.
  define: { 'import.meta.dirname': '__dirname' },
  logLevel: 'silent',
  plugins: [
    {
      name: 'modules-stay-apart',
      setup(build) {
        build.onResolve({ filter: /^\.{1,2}\// }, (args) =>
          args.kind === 'entry-point' ? undefined : { path: toTwin(args.path), external: true },
        );
      },
    },
  ],
});
// A warning here means code that CommonJS cannot run as written (import.meta.url, top-level await).
if (result.warnings.length > 0) {
  for (const warning of result.warnings) console.error(`${warning.location?.file ?? ''}: ${warning.text}`);
  throw new Error('the CommonJS build has warnings; a library module must run as CommonJS too');
}

for (const name of modules) {
  const declarations = await readFile(`dist/${name}.d.ts`, 'utf8');
  const twin = declarations.replace(/(['"])(\.{1,2}\/[^'"]*\.js)\1/g, (_, quote, specifier) => quote + toTwin(specifier) + quote);
  await writeFile(`dist/${name}.d.cts`, twin);
}

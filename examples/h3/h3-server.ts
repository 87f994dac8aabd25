/**
 * The example as a plain h3 2 server on Node: `DATABASE_URL=… PORT=3000 npm start` (Node 22.18
 * or later runs this TypeScript as it is). The sessions table must exist: `npx drizzle-pgstore migrate`.
 */
import { H3, serve } from 'h3';
import { sessionMiddleware } from 'drizzle-pgstore/h3';
import { home, setKey, signIn, signOut, visit } from './routes.ts';
import { manager, pool, sameOriginOnly, store } from './sessions.ts';

const app = new H3()
  .use(sameOriginOnly) // first, so a refused request never loads or writes a session
  .use(sessionMiddleware(manager))
  .get('/', home)
  .post('/visit', visit)
  .post('/keys/:n', setKey)
  .post('/sign-in', signIn)
  .post('/sign-out', signOut);

const server = serve(app, { port: Number(process.env.PORT ?? 3000), hostname: process.env.HOST ?? '127.0.0.1', silent: true });
await server.ready();
console.log(`listening on ${server.url}`);
process.once('SIGTERM', async () => {
  await server.close();
  await store.close();
  await pool.end();
});

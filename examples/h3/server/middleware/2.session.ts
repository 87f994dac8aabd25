// Nitro runs a middleware of two arguments around the route: the session is committed after it.
import { sessionMiddleware } from 'drizzle-pgstore/h3';
import { manager } from '../../sessions.ts';

export default sessionMiddleware(manager);

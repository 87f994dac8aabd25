import { describe } from 'vitest';
import { openNodePostgres } from './support/backends.js';
import { fastifyFramework } from './support/session-apps.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeFastifySaving } from './support/touch-suite.js';

describe('@fastify/session on PostgreSQL (node-postgres)', () => {
  describeSessionLifecycle(fastifyFramework, openNodePostgres);
  describeFastifySaving(openNodePostgres);
});

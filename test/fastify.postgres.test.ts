import { describe } from 'vitest';
import { openNodePostgres } from './support/backends.js';
import { fastifyFramework } from './support/session-apps.js';
import { onDatabase } from './support/session-backends.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeFastifySaving } from './support/touch-suite.js';

const backend = onDatabase(openNodePostgres);

describe('@fastify/session on PostgreSQL (node-postgres)', () => {
  describeSessionLifecycle(fastifyFramework, backend);
  describeFastifySaving(backend);
});

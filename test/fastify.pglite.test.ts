import { describe } from 'vitest';
import { openPglite } from './support/backends.js';
import { fastifyFramework } from './support/session-apps.js';
import { onDatabase } from './support/session-backends.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeFastifySaving } from './support/touch-suite.js';

const backend = onDatabase(openPglite);

describe('@fastify/session on PGlite', () => {
  describeSessionLifecycle(fastifyFramework, backend);
  describeFastifySaving(backend);
});

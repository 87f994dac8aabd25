import { describe } from 'vitest';
import { openPglite } from './support/backends.js';
import { fastifyFramework } from './support/session-apps.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeFastifySaving } from './support/touch-suite.js';

describe('@fastify/session on PGlite', () => {
  describeSessionLifecycle(fastifyFramework, openPglite);
  describeFastifySaving(openPglite);
});

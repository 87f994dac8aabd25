import { describe } from 'vitest';
import { inMemory } from './support/session-backends.js';
import { fastifyFramework } from './support/session-apps.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeFastifySaving } from './support/touch-suite.js';

// The adapter takes any SessionStore: the same suites on a second implementation of it.
describe('@fastify/session on an in-memory SessionStore', () => {
  describeSessionLifecycle(fastifyFramework, inMemory);
  describeFastifySaving(inMemory);
});

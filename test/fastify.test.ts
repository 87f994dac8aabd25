import { describe } from 'vitest';
import { fastifyFramework } from './support/session-apps.js';
import { SESSION_BACKENDS } from './support/session-backends.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeFastifySaving } from './support/touch-suite.js';

for (const backend of SESSION_BACKENDS) {
  describe(`@fastify/session on ${backend.name}`, () => {
    describeSessionLifecycle(fastifyFramework, backend.open);
    describeFastifySaving(backend.open);
  });
}

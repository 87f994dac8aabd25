import { describe } from 'vitest';
import { expressFramework } from './support/session-apps.js';
import { SESSION_BACKENDS } from './support/session-backends.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeExpressTouch } from './support/touch-suite.js';

for (const backend of SESSION_BACKENDS) {
  describe(`express-session on ${backend.name}`, () => {
    describeSessionLifecycle(expressFramework, backend.open);
    describeExpressTouch(backend.open);
  });
}

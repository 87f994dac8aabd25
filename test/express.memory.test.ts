import { describe } from 'vitest';
import { inMemory } from './support/session-backends.js';
import { expressFramework } from './support/session-apps.js';
import { describeSessionLifecycle } from './support/session-suite.js';
import { describeExpressTouch } from './support/touch-suite.js';

// The adapter takes any SessionStore: the same suites on a second implementation of it.
describe('express-session on an in-memory SessionStore', () => {
  describeSessionLifecycle(expressFramework, inMemory);
  describeExpressTouch(inMemory);
});

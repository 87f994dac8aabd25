import { describe } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { describeIntegrations, describeReactRouterInput } from './support/integration-suite.js';

for (const backend of BACKENDS) {
  describe(`Hono and React Router on ${backend.name}`, () => describeIntegrations(backend.open));
}

describe('React Router storage input', describeReactRouterInput);

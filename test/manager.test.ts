import { describe } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { describeManagerContract } from './support/manager-suite.js';

for (const backend of BACKENDS) {
  describe(`SessionManager on ${backend.name}`, () => describeManagerContract(backend.open));
}

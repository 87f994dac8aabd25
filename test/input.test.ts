import { describe } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { describeInputProperties, describeRefusedTokens } from './support/input-properties.js';

describe('hostile tokens, refused before any query', () => describeRefusedTokens());

for (const backend of BACKENDS) {
  describe(`hostile and odd input on ${backend.name}`, () => describeInputProperties(backend.open, backend));
}

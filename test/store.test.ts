import { describe } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { describeStoreContract } from './support/contract.js';

for (const backend of BACKENDS) {
  describe(`PGStore on ${backend.name}`, () => {
    describe.each([{ hashTokens: false }, { hashTokens: true }])('hashTokens: $hashTokens', ({ hashTokens }) =>
      describeStoreContract(backend.open, { sharesAppClock: backend.sharesAppClock, hashTokens }),
    );
  });
}

import { describe } from 'vitest';
import { openPglite } from './support/backends.js';
import { describeStoreContract } from './support/contract.js';

describe('PGStore on PGlite', () => describeStoreContract(openPglite, { sharesAppClock: true }));

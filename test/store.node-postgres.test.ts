import { describe } from 'vitest';
import { openNodePostgres } from './support/backends.js';
import { describeStoreContract } from './support/contract.js';

describe('PGStore on node-postgres', () => describeStoreContract(openNodePostgres));

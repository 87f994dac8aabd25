import { describe } from 'vitest';
import { openPostgresJs } from './support/backends.js';
import { describeStoreContract } from './support/contract.js';

describe('PGStore on postgres.js', () => describeStoreContract(openPostgresJs));

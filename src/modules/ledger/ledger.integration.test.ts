import { createPostgresTestDatabase } from '../../../test/support/database.js';
import { defineLedgerSuite } from './ledger.suite.js';

defineLedgerSuite('PostgreSQL', () => createPostgresTestDatabase(20), 1000);

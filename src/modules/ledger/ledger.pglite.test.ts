import { createPgliteTestDatabase } from '../../../test/support/database.js';
import { defineLedgerSuite } from './ledger.suite.js';

defineLedgerSuite('PGlite', createPgliteTestDatabase, 1000);

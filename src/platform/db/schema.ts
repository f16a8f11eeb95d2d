// Every module's tables, gathered so drizzle knows the whole database.
export * from '../../modules/ledger/schema.js';
export * from '../../modules/idempotency/schema.js';

// Every module's tables, gathered so drizzle knows the whole database.
export * from '../../modules/ledger/schema.js';
export * from '../../modules/idempotency/schema.js';
export * from '../../modules/accounts/schema.js';
export * from '../../modules/audit/schema.js';
export * from '../../modules/api-keys/schema.js';
export * from '../../modules/tiers/schema.js';
export * from '../../modules/catalog/schema.js';
export * from '../../modules/verifications/schema.js';
export * from '../../modules/payments/schema.js';

/** The ledger's public surface: other modules move money only through these operations. */
export {
  createLedgerService,
  type Hold,
  INCLUDED_USAGE_CURRENCY,
  type LedgerService,
  type PostingResult,
  type Resolution,
  SIGNUP_CREDIT_CURRENCY,
  type StatementLine,
  WALLET_CURRENCY,
} from './service.js';
export { type InvariantReport, type InvariantViolation, checkLedgerInvariants } from './invariants.js';
export { registerLedgerMetrics } from './metrics.js';

/**
 * Idempotency keys' public surface. This module has no service other modules call: routes opt in
 * with `config: { idempotent: true }`, and the plugin and its pruning job do the rest.
 */
export { PRUNE_IDEMPOTENCY_KEYS, defineIdempotencyJobs } from './jobs.js';
export { type IdempotencyOptions, registerIdempotency } from './plugin.js';
export { SEALED_RESPONSES } from './schema.js';

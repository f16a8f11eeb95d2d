/** The audit log's public surface. */
export {
  createAuditService,
  type AuditDeps,
  type AuditEntry,
  type AuditEvent,
  type AuditService,
} from './service.js';

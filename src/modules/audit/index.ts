/** The audit log's public surface. */
export type { AuditSubjectType } from './schema.js';
export {
  createAuditService,
  type AuditDeps,
  type AuditEntry,
  type AuditEvent,
  type AuditService,
} from './service.js';

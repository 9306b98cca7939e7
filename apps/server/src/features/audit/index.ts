export { AuditLedger, type AuditEvent, type LedgerVerification } from './audit.service.js';
export { canonicalJson } from './canonical-json.js';

import type { AuditEvent } from './audit-event.js';

/** An audit event on the wire (CLI JSON and the admin API). */
export function toAuditJson(event: AuditEvent): Record<string, unknown> {
  return {
    id: event.id,
    type: event.type,
    time: event.time.toISOString(),
    outcome: event.outcome,
    account_id: event.accountId,
    client_id: event.clientId,
    ip: event.ip,
    user_agent: event.userAgent,
    request_id: event.requestId,
    details: event.details,
  };
}

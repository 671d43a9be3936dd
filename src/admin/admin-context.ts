import type { Context } from 'koa';

import type { AuditInput } from '../audit/audit-event.js';
import { auditContextOf } from '../audit/provider-audit.js';
import type { AdminCaller } from './admin-auth.js';

/** Audit fields of an admin API change: the request, and which admin client made it. */
export function adminAudit(ctx: Context, input: Omit<AuditInput, 'ip' | 'userAgent' | 'requestId'>): AuditInput {
  const caller = ctx.state.adminCaller as AdminCaller | undefined;
  return {
    ...auditContextOf(ctx),
    ...input,
    details: { ...(input.details ?? {}), via: 'admin_api', admin_client_id: caller?.clientId ?? null },
  };
}

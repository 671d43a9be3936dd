import type { z } from 'zod';

import type { AuditStore } from '../audit/audit-event.js';
import { toAuditJson } from '../audit/audit-json.js';
import type { AdminRoute } from './admin-route.js';
import { auditQuery } from './admin-schemas.js';

/** /admin/v1/audit: the trail, newest first, with cursor paging. */
export function buildAuditRoutes(deps: { auditStore: AuditStore }): AdminRoute[] {
  return [
    {
      method: 'get', path: '/audit', tag: 'audit', summary: 'List audit events, newest first', query: auditQuery, status: 200,
      async handle(ctx, { query }) {
        const input = query as z.infer<typeof auditQuery>;
        const limit = input.limit ?? 50;
        // A caller that hangs up stops its query (the server-side limit bounds it in any case).
        const abandoned = new AbortController();
        const onClose = (): void => {
          if (!ctx.res.writableEnded) abandoned.abort();
        };
        ctx.req.once('close', onClose);
        const events = await deps.auditStore.query({
          limit,
          signal: abandoned.signal,
          ...(input.type ? { type: input.type } : {}),
          ...(input.account_id ? { accountId: input.account_id } : {}),
          ...(input.client_id ? { clientId: input.client_id } : {}),
          ...(input.since ? { since: new Date(input.since) } : {}),
          ...(input.cursor ? { before: input.cursor } : {}),
        }).finally(() => ctx.req.off('close', onClose));
        const last = events.at(-1);
        return { events: events.map(toAuditJson), next_cursor: events.length === limit && last ? last.id : null };
      },
    },
  ];
}

import { z } from 'zod';

import type { AuditLog } from '../audit/audit-log.js';
import { toResourceJson, type ResourceService } from '../resources/resource-service.js';
import { adminAudit } from './admin-context.js';
import { pathParam } from '../http/path-param.js';
import type { AdminRoute } from './admin-route.js';
import { listQuery } from './admin-schemas.js';

export const resourceCreateBody = z.strictObject({
  identifier: z.string().min(1).max(2000),
  scope: z.string().max(1000).optional(),
  format: z.enum(['jwt', 'opaque']).optional(),
  ttl: z.number().int().optional(),
  introspectors: z.array(z.string().min(1).max(200)).max(20).optional(),
});

export const resourcePatchBody = resourceCreateBody.omit({ identifier: true });

/** /admin/v1/resources: registered resource servers; the id in the path is the URL-encoded identifier. */
export function buildResourceRoutes(deps: { resources: ResourceService; audit: AuditLog }): AdminRoute[] {
  const { resources, audit } = deps;
  return [
    {
      method: 'get', path: '/resources', tag: 'resources', summary: 'List resource servers', query: listQuery, status: 200,
      async handle(_ctx, { query }) {
        const { limit, cursor } = query as z.infer<typeof listQuery>;
        const page = await resources.list({ limit: limit ?? 50, ...(cursor ? { after: cursor } : {}) });
        return { resources: page.resources.map(toResourceJson), next_cursor: page.nextCursor ?? null };
      },
    },
    {
      method: 'post', path: '/resources', tag: 'resources', summary: 'Register a resource server', body: resourceCreateBody, status: 201,
      async handle(ctx, { body }) {
        const input = body as z.infer<typeof resourceCreateBody>;
        const resource = await resources.create({
          identifier: input.identifier,
          ...(input.scope !== undefined ? { scope: input.scope } : {}),
          ...(input.format !== undefined ? { format: input.format } : {}),
          ...(input.ttl !== undefined ? { ttlSeconds: input.ttl } : {}),
          ...(input.introspectors !== undefined ? { introspectors: input.introspectors } : {}),
        });
        audit.record(adminAudit(ctx, { type: 'resource.created', outcome: 'success', details: { identifier: resource.identifier } }));
        return toResourceJson(resource);
      },
    },
    {
      method: 'get', path: '/resources/:id', tag: 'resources', summary: 'Show a resource server', status: 200,
      handle: async (ctx) => toResourceJson(await resources.get(pathParam(ctx, 'id'))),
    },
    {
      method: 'patch', path: '/resources/:id', tag: 'resources', summary: 'Change scopes, format or token lifetime', body: resourcePatchBody, status: 200,
      async handle(ctx, { body }) {
        const input = body as z.infer<typeof resourcePatchBody>;
        const resource = await resources.update(pathParam(ctx, 'id'), {
          ...(input.scope !== undefined ? { scope: input.scope } : {}),
          ...(input.format !== undefined ? { format: input.format } : {}),
          ...(input.ttl !== undefined ? { ttlSeconds: input.ttl } : {}),
          ...(input.introspectors !== undefined ? { introspectors: input.introspectors } : {}),
        });
        audit.record(adminAudit(ctx, { type: 'resource.updated', outcome: 'success', details: { identifier: resource.identifier } }));
        return toResourceJson(resource);
      },
    },
    {
      method: 'delete', path: '/resources/:id', tag: 'resources', summary: 'Delete a resource server', status: 204,
      async handle(ctx) {
        await resources.delete(pathParam(ctx, 'id'));
        audit.record(adminAudit(ctx, { type: 'resource.deleted', outcome: 'success', details: { identifier: pathParam(ctx, 'id') } }));
        return undefined;
      },
    },
  ];
}

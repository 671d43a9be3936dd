import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';
import type { z } from 'zod';

import type { AccountService } from '../accounts/account-service.js';
import type { AuditStore } from '../audit/audit-event.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ClientService } from '../clients/client-service.js';
import { BadRequestError } from '../http/app-error.js';
import { readJson } from '../http/read-json.js';
import { createAdminAuth } from './admin-auth.js';
import type { AdminRoute } from './admin-route.js';
import { buildAuditRoutes } from './audit-routes.js';
import { buildClientRoutes } from './client-routes.js';
import { buildOpenApiDocument } from './openapi.js';
import { buildResourceRoutes } from './resource-routes.js';
import { buildUserRoutes } from './user-routes.js';
import type { ResourceService } from '../resources/resource-service.js';

export const ADMIN_PREFIX = '/admin/v1';

export interface AdminDeps {
  readonly provider: Provider;
  /** The caller's client as stored now (not as cached): admin rights end the moment they are taken. */
  readonly loadClientRecord: (clientId: string) => Promise<AdapterPayload | undefined>;
  readonly clients: ClientService;
  readonly resources: ResourceService;
  readonly accounts: AccountService;
  readonly audit: AuditLog;
  readonly auditStore: AuditStore;
  readonly issuer: string;
}

/** Every admin operation; the router and the OpenAPI document are both built from this list. */
export function buildAdminRoutes(deps: AdminDeps): AdminRoute[] {
  return [...buildClientRoutes(deps), ...buildUserRoutes(deps), ...buildResourceRoutes(deps), ...buildAuditRoutes(deps)];
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : where;
  throw new BadRequestError(`${field}: ${issue?.message ?? 'invalid'}`);
}

function toMiddleware(route: AdminRoute): Middleware {
  return async function handleAdminRoute(ctx: Context) {
    const query = parse(route.query, { ...ctx.query }, 'query');
    const body = route.body ? parse(route.body, await readJson(ctx), 'body') : undefined;
    const result = await route.handle(ctx, { query, body });
    ctx.set('Cache-Control', 'no-store');
    ctx.status = route.status;
    if (route.status !== 204) ctx.body = result;
  };
}

/** /admin/v1: JSON only, bearer admin tokens, one route table. */
export function createAdminRouter(deps: AdminDeps): Router {
  const routes = buildAdminRoutes(deps);
  const document = buildOpenApiDocument(routes, `${deps.issuer}${ADMIN_PREFIX}`);
  const router = new Router({ prefix: ADMIN_PREFIX });
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  const requireAdminToken = createAdminAuth(deps);
  for (const route of routes) {
    router[route.method](route.path, requireAdminToken, toMiddleware(route));
  }
  return router;
}

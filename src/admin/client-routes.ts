import type { z } from 'zod';

import type { AuditLog } from '../audit/audit-log.js';
import type { ClientInput, ClientService } from '../clients/client-service.js';
import { adminAudit } from './admin-context.js';
import { pathParam } from '../http/path-param.js';
import type { AdminRoute } from './admin-route.js';
import { clientCreateBody, clientPatchBody, listQuery } from './admin-schemas.js';

/** The JSON body (snake_case) as client service input. */
function fromClientBody(body: z.infer<typeof clientPatchBody>): Partial<ClientInput> {
  return {
    ...(body.client_name !== undefined ? { name: body.client_name } : {}),
    ...(body.redirect_uris !== undefined ? { redirectUris: body.redirect_uris } : {}),
    ...(body.post_logout_redirect_uris !== undefined ? { postLogoutRedirectUris: body.post_logout_redirect_uris } : {}),
    ...(body.grant_types !== undefined ? { grantTypes: body.grant_types } : {}),
    ...(body.scope !== undefined ? { scope: body.scope } : {}),
    ...(body.admin !== undefined ? { admin: body.admin } : {}),
    ...(body.first_party !== undefined ? { firstParty: body.first_party } : {}),
    // null hands the decision back to the operator's default
    ...(body.pkce_required !== undefined ? { pkceRequired: body.pkce_required ?? undefined } : {}),
    ...(body.logo_uri !== undefined ? { logoUri: body.logo_uri } : {}),
    ...(body.policy_uri !== undefined ? { policyUri: body.policy_uri } : {}),
    ...(body.tos_uri !== undefined ? { tosUri: body.tos_uri } : {}),
    ...(body.resources !== undefined ? { resources: body.resources } : {}),
    ...(body.require_pushed_authorization_requests !== undefined ? { requirePushedRequests: body.require_pushed_authorization_requests } : {}),
    ...(body.dpop_bound_access_tokens !== undefined ? { dpopBoundTokens: body.dpop_bound_access_tokens } : {}),
    ...(body.token_exchange_audiences !== undefined ? { exchangeAudiences: body.token_exchange_audiences } : {}),
    ...(body.token_exchange_mode !== undefined ? { exchangeMode: body.token_exchange_mode } : {}),
    ...(body.jwks !== undefined ? { jwks: body.jwks } : {}),
    ...(body.jwks_uri !== undefined ? { jwksUri: body.jwks_uri } : {}),
    ...(body.profile !== undefined ? { profile: body.profile } : {}),
  };
}

/** /admin/v1/clients: the same client rules as the CLI. */
export function buildClientRoutes(deps: { clients: ClientService; audit: AuditLog }): AdminRoute[] {
  const { clients, audit } = deps;
  return [
    {
      method: 'get', path: '/clients', tag: 'clients', summary: 'List clients (secrets never included)', query: listQuery, status: 200,
      async handle(_ctx, { query }) {
        const { limit, cursor } = query as z.infer<typeof listQuery>;
        const page = await clients.list({ limit: limit ?? 50, ...(cursor ? { after: cursor } : {}) });
        return { clients: page.clients, next_cursor: page.nextCursor ?? null };
      },
    },
    {
      method: 'post', path: '/clients', tag: 'clients', summary: 'Register a client; the secret is in this response only', body: clientCreateBody, status: 201,
      async handle(ctx, { body }) {
        const input = body as z.infer<typeof clientCreateBody>;
        const created = await clients.create({ ...fromClientBody(input), name: input.client_name, publicClient: input.public ?? false });
        audit.record(adminAudit(ctx, { type: 'client.created', outcome: 'success', clientId: String(created.metadata.client_id) }));
        return { ...created.metadata, ...(created.clientSecret ? { client_secret: created.clientSecret } : {}) };
      },
    },
    {
      method: 'get', path: '/clients/:id', tag: 'clients', summary: 'Show a client', status: 200,
      handle: async (ctx) => clients.get(pathParam(ctx, 'id')),
    },
    {
      method: 'patch', path: '/clients/:id', tag: 'clients', summary: 'Change a client; omitted fields keep their value', body: clientPatchBody, status: 200,
      async handle(ctx, { body }) {
        const updated = await clients.update(pathParam(ctx, 'id'), fromClientBody(body as z.infer<typeof clientPatchBody>));
        audit.record(adminAudit(ctx, { type: 'client.updated', outcome: 'success', clientId: pathParam(ctx, 'id') }));
        return updated;
      },
    },
    {
      method: 'delete', path: '/clients/:id', tag: 'clients', summary: 'Delete a client', status: 204,
      async handle(ctx) {
        await clients.delete(pathParam(ctx, 'id'));
        audit.record(adminAudit(ctx, { type: 'client.deleted', outcome: 'success', clientId: pathParam(ctx, 'id') }));
        return undefined;
      },
    },
    {
      method: 'post', path: '/clients/:id/secret', tag: 'clients', summary: 'Issue a new client secret (the old one stops working)', status: 200,
      async handle(ctx) {
        const rotated = await clients.rotateSecret(pathParam(ctx, 'id'));
        audit.record(adminAudit(ctx, { type: 'client.secret_rotated', outcome: 'success', clientId: pathParam(ctx, 'id') }));
        return { client_id: pathParam(ctx, 'id'), client_secret: rotated.clientSecret };
      },
    },
  ];
}

import type { z } from 'zod';

import { AccountNotFoundError } from '../accounts/account-errors.js';
import type { AccountService } from '../accounts/account-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import { toThrottleJson, toUserJson } from '../accounts/account-json.js';
import { adminAudit } from './admin-context.js';
import { pathParam } from '../http/path-param.js';
import type { AdminRoute } from './admin-route.js';
import { listQuery, userCreateBody, userPatchBody } from './admin-schemas.js';

/** /admin/v1/users: account administration, as the CLI does it. */
export function buildUserRoutes(deps: { accounts: AccountService; audit: AuditLog }): AdminRoute[] {
  const { accounts, audit } = deps;
  const load = async (id: string) => {
    const account = await accounts.findById(id);
    if (!account) throw new AccountNotFoundError();
    return account;
  };
  return [
    {
      method: 'get', path: '/users', tag: 'users', summary: 'List users', query: listQuery, status: 200,
      async handle(_ctx, { query }) {
        const { limit, cursor } = query as z.infer<typeof listQuery>;
        const page = await accounts.list({ limit: limit ?? 50, ...(cursor ? { after: cursor } : {}) });
        return { users: page.accounts.map(toUserJson), next_cursor: page.nextCursor ?? null };
      },
    },
    {
      method: 'post', path: '/users', tag: 'users', summary: 'Create a user (with_totp enrols TOTP now and returns the secret once)', body: userCreateBody, status: 201,
      async handle(ctx, { body }) {
        const input = body as z.infer<typeof userCreateBody>;
        const { account, totp } = await accounts.createAccount({
          email: input.email,
          name: input.name ?? null,
          password: input.password,
          withTotp: input.with_totp ?? false,
          ...(input.profile ? { profile: input.profile } : {}),
          ...(input.attributes ? { attributes: input.attributes } : {}),
        });
        audit.record(adminAudit(ctx, { type: 'account.created', outcome: 'success', accountId: account.id }));
        return { ...toUserJson(account), ...(totp ? { totp: { secret: totp.secret, uri: totp.uri } } : {}) };
      },
    },
    {
      method: 'get', path: '/users/:id', tag: 'users', summary: 'Show a user', status: 200,
      async handle(ctx) {
        const account = await load(pathParam(ctx, 'id'));
        return { ...toUserJson(account), throttle: toThrottleJson(await accounts.throttleStatus(account.email)) };
      },
    },
    {
      method: 'post', path: '/users/:id/unlock', tag: 'users', summary: 'Lift every sign-in lock and delay on the user\'s email', status: 200,
      async handle(ctx) {
        const account = await load(pathParam(ctx, 'id'));
        await accounts.unlock(account.email);
        audit.record(adminAudit(ctx, { type: 'account.unlocked', outcome: 'success', accountId: account.id }));
        return { ...toUserJson(account), throttle: toThrottleJson(await accounts.throttleStatus(account.email)) };
      },
    },
    {
      method: 'patch', path: '/users/:id', tag: 'users', summary: 'Change a user\'s name, profile claims or attributes, disable or enable them, or set a password', body: userPatchBody, status: 200,
      async handle(ctx, { body }) {
        const input = body as z.infer<typeof userPatchBody>;
        const id = (await load(pathParam(ctx, 'id'))).id;
        // Checked before anything is written, so a bad password leaves the rest unchanged too.
        if (input.password !== undefined) accounts.checkPasswordPolicy(input.password);
        if (input.name !== undefined || input.profile !== undefined || input.attributes !== undefined) {
          await accounts.updateProfile(id, {
            ...(input.name !== undefined ? { name: input.name } : {}),
            ...(input.profile !== undefined ? { profile: input.profile } : {}),
            ...(input.attributes !== undefined ? { attributes: input.attributes } : {}),
          });
          const fields = [...(input.name !== undefined ? ['name'] : []), ...Object.keys(input.profile ?? {}), ...Object.keys(input.attributes ?? {})];
          audit.record(adminAudit(ctx, { type: 'account.profile_updated', outcome: 'success', accountId: id, details: { fields } }));
        }
        if (input.status !== undefined) {
          await accounts.setStatus(id, input.status);
          audit.record(adminAudit(ctx, { type: input.status === 'active' ? 'account.enabled' : 'account.disabled', outcome: 'success', accountId: id }));
        }
        if (input.password !== undefined) {
          await accounts.setPassword(id, input.password);
          audit.record(adminAudit(ctx, { type: 'account.password_set', outcome: 'success', accountId: id }));
        }
        return toUserJson(await load(id));
      },
    },
    {
      method: 'delete', path: '/users/:id', tag: 'users', summary: 'Delete a user', status: 204,
      async handle(ctx) {
        const id = (await load(pathParam(ctx, 'id'))).id;
        await accounts.delete(id);
        audit.record(adminAudit(ctx, { type: 'account.deleted', outcome: 'success', accountId: id }));
        return undefined;
      },
    },
    {
      method: 'post', path: '/users/:id/totp/reset', tag: 'users', summary: 'Remove TOTP and recovery codes; the user enrols again at next sign-in', status: 200,
      async handle(ctx) {
        const id = (await load(pathParam(ctx, 'id'))).id;
        const account = await accounts.resetTotp(id);
        audit.record(adminAudit(ctx, { type: 'totp.reset', outcome: 'success', accountId: id }));
        return toUserJson(account);
      },
    },
  ];
}

import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

import type { AuditContext, AuditOutcome } from './audit-event.js';
import type { AuditLog } from './audit-log.js';

interface OAuthErrorLike {
  readonly error?: unknown;
  readonly status?: unknown;
}

/** Request facts for an audit event: client address, user agent, request id. */
export function auditContextOf(ctx: { ip: string; get(field: string): string; state: Record<string, unknown> }): AuditContext {
  return {
    ip: ctx.ip,
    userAgent: ctx.get('user-agent') || null,
    requestId: typeof ctx.state.requestId === 'string' ? ctx.state.requestId : null,
  };
}

function accountOf(ctx: KoaContextWithOIDC): string | null {
  const entities = ctx.oidc?.entities as { Account?: { accountId?: string }; Grant?: { accountId?: string } } | undefined;
  return entities?.Account?.accountId ?? entities?.Grant?.accountId ?? ctx.oidc?.session?.accountId ?? null;
}

function errorDetails(error: unknown): Record<string, unknown> {
  const oauth = error as OAuthErrorLike | null;
  return {
    error: typeof oauth?.error === 'string' ? oauth.error : 'server_error',
    ...(typeof oauth?.status === 'number' ? { status: oauth.status } : {}),
  };
}

// Provider event → our audit type and outcome. Success events carry (ctx); error events (ctx, error).
const CONTEXT_EVENTS: ReadonlyArray<readonly [string, string, AuditOutcome]> = [
  ['authorization.success', 'authorization.success', 'success'],
  ['authorization.error', 'authorization.error', 'failure'],
  ['grant.success', 'token.issued', 'success'],
  ['grant.error', 'token.error', 'failure'],
  ['introspection.error', 'introspection.error', 'failure'],
  ['revocation.error', 'revocation.error', 'failure'],
  ['end_session.success', 'logout.success', 'success'],
  ['end_session.error', 'logout.error', 'failure'],
  ['registration_create.success', 'client.registered', 'success'],
  ['registration_create.error', 'client.registration_error', 'failure'],
  ['registration_update.success', 'client.updated', 'success'],
  ['registration_delete.success', 'client.deleted', 'success'],
  ['userinfo.error', 'userinfo.error', 'failure'],
  ['server_error', 'server.error', 'failure'],
];

const TOKEN_DESTROYED_EVENTS = ['access_token.destroyed', 'client_credentials.destroyed', 'refresh_token.destroyed'] as const;

/** Turns the provider's events into audit records. */
export function recordProviderEvents(provider: Provider, audit: AuditLog): void {
  // The typed overloads cover one event name each; as an EventEmitter the provider takes them all.
  const events: NodeJS.EventEmitter = provider;
  for (const [event, type, outcome] of CONTEXT_EVENTS) {
    events.on(event, (ctx: KoaContextWithOIDC, error?: unknown) => {
      const params = ctx?.oidc?.params as { grant_type?: unknown } | undefined;
      audit.record({
        type,
        outcome,
        accountId: ctx?.oidc ? accountOf(ctx) : null,
        clientId: ctx?.oidc?.client?.clientId ?? null,
        ...(ctx?.req ? auditContextOf(ctx) : {}),
        details: {
          ...(outcome === 'failure' ? errorDetails(error) : {}),
          ...(typeof params?.grant_type === 'string' ? { grant_type: params.grant_type } : {}),
        },
      });
    });
  }
  events.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    audit.record({ type: 'grant.revoked', outcome: 'success', clientId: ctx?.oidc?.client?.clientId ?? null, ...(ctx?.req ? auditContextOf(ctx) : {}), details: { grant_id: grantId } });
  });
  for (const event of TOKEN_DESTROYED_EVENTS) {
    events.on(event, (token: { clientId?: string; accountId?: string; kind?: string }) => {
      audit.record({ type: 'token.revoked', outcome: 'success', clientId: token.clientId ?? null, accountId: token.accountId ?? null, details: { kind: token.kind ?? event } });
    });
  }
}

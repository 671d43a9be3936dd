/**
 * Every audit event type Latchkey records (test/unit/audit/audit-event-types.test.ts fails when
 * a new one appears in src/ without being listed). `audit list --type` and the admin API's
 * `type` filter accept these only, so a typo is an error rather than an empty answer.
 */
export const AUDIT_EVENT_TYPES = [
  'account.app_revoked', 'account.created', 'account.deleted', 'account.email_verified', 'account.disabled', 'account.enabled', 'account.password_reset', 'account.password_set',
  'account.password_change_failed', 'account.password_changed', 'account.profile_updated', 'account.session_ended', 'account.throttled', 'account.unlocked',
  'authorization.error', 'authorization.success',
  'client.created', 'client.deleted', 'client.registered', 'client.registration_error', 'client.secret_rotated', 'client.updated',
  'consent.denied', 'consent.granted',
  'grant.revoked',
  'initial_access_token.created',
  'introspection.error',
  'login.locked', 'login.password_failed', 'login.second_factor_failed', 'login.succeeded', 'login.throttled',
  'logout.error', 'logout.success',
  'passkey.added', 'passkey.add_failed', 'passkey.removed', 'passkey.renamed',
  'password_reset.requested',
  'recovery_code.used', 'recovery_codes.regenerated',
  'resource.created', 'resource.deleted', 'resource.updated',
  'revocation.error',
  'secrets.reencrypted',
  'server.error',
  'signing_keys.retired', 'signing_keys.rotated',
  'token.error', 'token.exchanged', 'token.issued', 'token.revoked',
  'totp.enrolled', 'totp.enrolment_failed', 'totp.replaced', 'totp.reset',
  'userinfo.error',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export function isAuditEventType(value: string): value is AuditEventType {
  return (AUDIT_EVENT_TYPES as readonly string[]).includes(value);
}

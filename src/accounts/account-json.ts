import type { Account } from './account.js';

/** A user on the wire (CLI JSON, admin API): never the hash, the secret or the codes. */
export function toUserJson(account: Account): Record<string, unknown> {
  return {
    id: account.id,
    email: account.email,
    email_verified: account.emailVerified,
    name: account.name,
    status: account.status,
    totp_enrolled: account.totpSecretEncrypted !== null,
    recovery_codes_left: account.recoveryCodes.filter((code) => code.usedAt === null).length,
    created_at: account.createdAt.toISOString(),
    updated_at: account.updatedAt.toISOString(),
  };
}

import type { Account } from './account.js';
import type { ThrottleStatus } from './sign-in-throttle.js';

/** A user on the wire (CLI JSON, admin API): never the hash, the secret or the codes. */
export function toUserJson(account: Account): Record<string, unknown> {
  return {
    id: account.id,
    email: account.email,
    email_verified: account.emailVerified,
    name: account.name,
    status: account.status,
    profile: account.profile,
    attributes: account.attributes,
    totp_enrolled: account.totpSecretEncrypted !== null,
    recovery_codes_left: account.recoveryCodes.filter((code) => code.usedAt === null).length,
    // What an administrator needs to tell them apart; never the public key or the counter.
    passkeys: account.passkeys.map((passkey) => ({
      id: passkey.id,
      name: passkey.name,
      synced: passkey.synced,
      created_at: passkey.createdAt.toISOString(),
      last_used_at: passkey.lastUsedAt?.toISOString() ?? null,
    })),
    created_at: account.createdAt.toISOString(),
    updated_at: account.updatedAt.toISOString(),
  };
}

/** Whether sign-ins under the account's email are held back, for `users show` and the admin API. */
export function toThrottleJson(status: ThrottleStatus): Record<string, unknown> {
  return {
    throttled: status.lockedAddresses.length > 0 || status.slowedUntil !== undefined,
    locked_addresses: status.lockedAddresses.map((entry) => ({ address: entry.address, until: entry.until.toISOString() })),
    slowed_until: status.slowedUntil?.toISOString() ?? null,
    recent_failures: status.recentFailures,
  };
}

import { randomBytes } from 'node:crypto';

import type { Account, NewAccount } from './account.js';

/** A new `sub`: 128 random bits, base64url, so it reveals neither the email nor a creation time. */
export function createAccountId(): string {
  return randomBytes(16).toString('base64url');
}

/** A complete new account from its input: fresh id, active, timestamps now. */
export function buildNewAccount(input: NewAccount, now: Date = new Date()): Account {
  return {
    id: createAccountId(),
    email: input.email,
    emailVerified: input.emailVerified ?? false,
    name: input.name,
    status: 'active',
    profile: { ...(input.profile ?? {}) },
    attributes: { ...(input.attributes ?? {}) },
    passwordHash: input.passwordHash,
    totpSecretEncrypted: input.totpSecretEncrypted ?? null,
    totpEnrolledAt: input.totpSecretEncrypted ? now : null,
    recoveryCodes: [...(input.recoveryCodes ?? [])],
    createdAt: now,
    updatedAt: now,
  };
}

import { randomBytes } from 'node:crypto';

import type { Account, NewAccount } from './account.js';

/**
 * A new `sub`: 128 random bits, base64url, so it reveals neither the email nor a creation time.
 * Never starting with '-' or '_': command lines would read a leading dash as an option
 * (`audit list --account -abc…` is refused by the CLI's argument parser).
 */
export function createAccountId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
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
    passkeys: [],
    createdAt: now,
    updatedAt: now,
  };
}

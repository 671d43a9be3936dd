import { createHash, randomBytes } from 'node:crypto';

import type { AccountService } from './account-service.js';
import type { OneTimeClaims } from './one-time-claims.js';
import type { ExpiringStore } from '../storage/expiring-store.js';

/** What a verification link stands for: the account, and the address the mail went to. */
export interface VerificationGrant {
  readonly accountId: string;
  readonly email: string;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Email verification: a link mailed to the account's address; following it (signed in or not,
 * since the link itself proves the mailbox) sets `email_verified`, once, and only if the account
 * still has that address.
 */
export function createEmailVerification(deps: {
  readonly accounts: Pick<AccountService, 'findById' | 'markEmailVerified'>;
  readonly grants: ExpiringStore<VerificationGrant>;
  readonly claims: OneTimeClaims;
  readonly ttlSeconds: number;
  readonly mailIntervalSeconds: number;
}) {
  return {
    /** A token to mail, or undefined when one was sent a moment ago (throttled per account). */
    async start(accountId: string): Promise<{ token: string; email: string } | undefined> {
      const account = await deps.accounts.findById(accountId);
      if (!account || account.emailVerified) return undefined;
      if (!(await deps.claims.claim(`verify-mail:${accountId}`, deps.mailIntervalSeconds))) return undefined;
      const token = randomBytes(32).toString('base64url');
      await deps.grants.set(hashToken(token), { accountId, email: account.email }, deps.ttlSeconds);
      return { token, email: account.email };
    },

    async complete(token: string): Promise<{ ok: true; accountId: string } | { ok: false }> {
      if (!TOKEN_SHAPE.test(token)) return { ok: false };
      const key = hashToken(token);
      const grant = await deps.grants.get(key);
      if (!grant || !(await deps.claims.claim(`verify-used:${key}`, deps.ttlSeconds))) return { ok: false };
      await deps.grants.delete(key);
      const account = await deps.accounts.findById(grant.accountId);
      if (!account || account.email !== grant.email) return { ok: false };
      await deps.accounts.markEmailVerified(account.id);
      return { ok: true, accountId: account.id };
    },
  };
}

export type EmailVerification = ReturnType<typeof createEmailVerification>;

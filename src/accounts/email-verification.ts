import type { AccountService } from './account-service.js';
import type { OneTimeClaims } from './one-time-claims.js';
import type { ExpiringStore } from '../storage/expiring-store.js';
import { createMailedLinks } from './mailed-links.js';

/** What a verification link stands for: the account, and the address the mail went to. */
export interface VerificationGrant {
  readonly accountId: string;
  readonly email: string;
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
  const links = createMailedLinks<VerificationGrant>({ grants: deps.grants, claims: deps.claims, ttlSeconds: deps.ttlSeconds, purpose: 'verify' });
  return {
    /** A token to mail, or undefined when one was sent a moment ago (throttled per account). */
    async start(accountId: string): Promise<{ token: string; email: string } | undefined> {
      const account = await deps.accounts.findById(accountId);
      if (!account || account.emailVerified) return undefined;
      if (!(await deps.claims.claim(`verify-mail:${accountId}`, deps.mailIntervalSeconds))) return undefined;
      const token = await links.issue({ accountId, email: account.email });
      return { token, email: account.email };
    },

    async complete(token: string): Promise<{ ok: true; accountId: string } | { ok: false }> {
      const grant = await links.redeem(token);
      if (!grant) return { ok: false };
      const account = await deps.accounts.findById(grant.accountId);
      if (!account || account.email !== grant.email) return { ok: false };
      await deps.accounts.markEmailVerified(account.id);
      return { ok: true, accountId: account.id };
    },
  };
}

export type EmailVerification = ReturnType<typeof createEmailVerification>;

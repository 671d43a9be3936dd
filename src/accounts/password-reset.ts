import type { AccountService } from './account-service.js';
import type { OneTimeClaims } from './one-time-claims.js';
import type { ExpiringStore } from '../storage/expiring-store.js';
import { createMailedLinks } from './mailed-links.js';

/** What a reset link stands for, stored under the hash of its token (the token itself is only in the mail). */
export interface ResetGrant {
  readonly accountId: string;
}

export interface PasswordResetDeps {
  readonly accounts: Pick<AccountService, 'findByEmail' | 'findById' | 'setPassword' | 'checkPasswordPolicy' | 'markEmailVerified'>;
  readonly grants: ExpiringStore<ResetGrant>;
  readonly claims: OneTimeClaims;
  readonly ttlSeconds: number;
  /** At most one mail per address in this many seconds, whoever asks. */
  readonly mailIntervalSeconds: number;
}

export type ResetRequest =
  | { readonly kind: 'send'; readonly email: string; readonly token: string; readonly accountId: string }
  | { readonly kind: 'nothing' };

export type ResetOutcome = { readonly ok: true; readonly accountId: string; readonly email: string } | { readonly ok: false; readonly reason: 'invalid_link' };

/**
 * Password reset by email. The answer to a request never says whether the address has an
 * account; a link works once, for `ttlSeconds`; a reset sets the password only: the second
 * factor is still asked at every sign-in, so a mailbox alone never opens the account.
 */
export function createPasswordReset(deps: PasswordResetDeps) {
  const links = createMailedLinks<ResetGrant>({ grants: deps.grants, claims: deps.claims, ttlSeconds: deps.ttlSeconds, purpose: 'reset' });
  return {
    /** Decides whether a mail goes out; the caller sends it without making the answer wait. */
    async request(rawEmail: string): Promise<ResetRequest> {
      const account = await deps.accounts.findByEmail(rawEmail);
      if (!account || account.status !== 'active') return { kind: 'nothing' };
      // Throttled per address, so nobody can flood a mailbox through this form.
      if (!(await deps.claims.claim(`reset-mail:${account.id}`, deps.mailIntervalSeconds))) return { kind: 'nothing' };
      const token = await links.issue({ accountId: account.id });
      return { kind: 'send', email: account.email, token, accountId: account.id };
    },

    /** Whether a link still works, without using it up (to show the form). */
    async check(token: string): Promise<boolean> {
      return (await links.peek(token)) !== undefined;
    },

    /**
     * Sets the new password through the link, which is then used up: the password is checked
     * against the policy first (a refused one leaves the link working), then the link is claimed
     * atomically, so two submissions of one link set one password.
     */
    async complete(token: string, password: string): Promise<ResetOutcome> {
      deps.accounts.checkPasswordPolicy(password);
      const grant = await links.redeem(token);
      if (!grant) return { ok: false, reason: 'invalid_link' };
      const account = await deps.accounts.findById(grant.accountId);
      if (!account || account.status !== 'active') return { ok: false, reason: 'invalid_link' };
      // Ends every session and token of the account, as any password change does.
      await deps.accounts.setPassword(account.id, password);
      // The link reached the mailbox: that is what verifying the address means.
      if (!account.emailVerified) await deps.accounts.markEmailVerified(account.id);
      return { ok: true, accountId: account.id, email: account.email };
    },
  };
}

export type PasswordReset = ReturnType<typeof createPasswordReset>;

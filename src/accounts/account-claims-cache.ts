import type { Account } from './account.js';
import type { AccountStore } from './account-store.js';
import { createCoherentCache, type CacheInvalidation } from '../storage/coherent-cache.js';

/** What a token or userinfo request needs of an account: whether it may still have them, and its claims. */
export type AccountForTokens = Pick<Account, 'id' | 'status' | 'email' | 'emailVerified' | 'name' | 'profile' | 'attributes' | 'updatedAt'>;

export interface AccountClaimsCacheOptions {
  readonly ttlSeconds: number;
  readonly maxEntries: number;
  /** The channel every instance listens on; without it only this process's writes evict. */
  readonly invalidation?: CacheInvalidation;
}

export interface AccountClaimsCache {
  /**
   * The account as tokens see it, for the provider's findAccount (every refresh, code redemption
   * and userinfo call). Sign-in, account-area and admin reads go to the store itself.
   */
  findForTokens(id: string): Promise<AccountForTokens | undefined>;
  /** The store with every write evicting the account here and, over the channel, on every instance. */
  readonly store: AccountStore;
}

// Only what claims and the status check read: the password hash, the TOTP ciphertext and the
// recovery codes never sit in this cache.
function forTokens(account: Account | undefined): AccountForTokens | undefined {
  if (!account) return undefined;
  const { id, status, email, emailVerified, name, profile, attributes, updatedAt } = account;
  return { id, status, email, emailVerified, name, profile, attributes, updatedAt };
}

/**
 * A refresh or a code redemption looks its account up to tell whether it is still active and to
 * build claims: one MongoDB read per token otherwise. Every write through `store` evicts the
 * account on all instances (the CLI and the admin API write through the same wrapper), and an
 * eviction wins over a read under way (coherent-cache.ts), so a disabled account or a changed
 * email is in force with the next request; the TTL bounds only edits made behind Latchkey's back.
 */
export function createAccountClaimsCache(inner: AccountStore, options: AccountClaimsCacheOptions): AccountClaimsCache {
  const cache = createCoherentCache<AccountForTokens | undefined>({
    kind: 'Account',
    ttlSeconds: options.ttlSeconds,
    maxEntries: options.maxEntries,
    ...(options.invalidation ? { invalidation: options.invalidation } : {}),
  });
  // Evicted after the write, when a read can no longer see the old record, and also when the
  // write failed: a timed-out write may still have landed.
  async function evictingAfter<T>(id: string, write: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await write();
    } catch (error) {
      await cache.invalidate(id).catch(() => undefined);
      throw error;
    }
    await cache.invalidate(id);
    return result;
  }
  const store: AccountStore = {
    async create(account) {
      const created = await inner.create(account);
      // An id is random and new, but a lookup of it may have been cached as "no such account".
      await cache.invalidate(created.id);
      return created;
    },
    findById: (id) => inner.findById(id),
    findByEmail: (email) => inner.findByEmail(email),
    list: (listing) => inner.list(listing),
    update: (id, patch) => evictingAfter(id, () => inner.update(id, patch)),
    replaceTotpCiphertext: (id, expected, next) => evictingAfter(id, () => inner.replaceTotpCiphertext(id, expected, next)),
    enrolTotp: (id, enrolment) => evictingAfter(id, () => inner.enrolTotp(id, enrolment)),
    useRecoveryCode: (id, index, hash, at) => evictingAfter(id, () => inner.useRecoveryCode(id, index, hash, at)),
    replaceRecoveryCodes: (id, expected, next) => evictingAfter(id, () => inner.replaceRecoveryCodes(id, expected, next)),
    replacePasskeys: (id, expected, next) => evictingAfter(id, () => inner.replacePasskeys(id, expected, next)),
    // A use changes the counter and the last-used time, which tokens never read: nothing to evict.
    usePasskey: (id, index, use) => inner.usePasskey(id, index, use),
    delete: (id) => evictingAfter(id, () => inner.delete(id)),
  };
  return {
    findForTokens: (id) => cache.get(id, async () => forTokens(await inner.findById(id))),
    store,
  };
}

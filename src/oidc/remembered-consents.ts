import type { ExpiringStore } from '../storage/expiring-store.js';

/**
 * Which grant an account gave a client, beyond the browser session that gave it: a later
 * sign-in (new session) with the same or fewer scopes skips the consent page.
 */
export interface RememberedConsents {
  find(accountId: string, clientId: string): Promise<string | undefined>;
  remember(accountId: string, clientId: string, grantId: string, ttlSeconds: number): Promise<void>;
}

export function createRememberedConsents(store: ExpiringStore<{ grantId: string }>): RememberedConsents {
  const keyFor = (accountId: string, clientId: string): string => `${accountId}:${clientId}`;
  return {
    async find(accountId, clientId) {
      return (await store.get(keyFor(accountId, clientId)))?.grantId;
    },
    async remember(accountId, clientId, grantId, ttlSeconds) {
      await store.set(keyFor(accountId, clientId), { grantId }, ttlSeconds);
    },
  };
}

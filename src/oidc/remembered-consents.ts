import type { ExpiringStore } from '../storage/expiring-store.js';

/** What an account consented to give a client: scopes, claims and resource scopes. */
export interface RememberedConsent {
  readonly scope: string;
  readonly claims: readonly string[];
  readonly resources: Readonly<Record<string, string>>;
}

/**
 * What an account consented to give a client, beyond the browser session that gave it: a later
 * sign-in on any device skips the consent page for it. It is remembered as the consent itself,
 * not as a grant: each session gets a grant of its own, so signing out on one device, or a
 * refresh token replayed there, ends that device's tokens only.
 */
export interface RememberedConsents {
  find(accountId: string, clientId: string): Promise<RememberedConsent | undefined>;
  remember(accountId: string, clientId: string, consent: RememberedConsent, ttlSeconds: number): Promise<void>;
}

function isConsent(value: unknown): value is RememberedConsent {
  const candidate = value as Partial<RememberedConsent> | undefined;
  return typeof candidate?.scope === 'string' && Array.isArray(candidate.claims) && typeof candidate.resources === 'object';
}

export function createRememberedConsents(store: ExpiringStore<RememberedConsent>): RememberedConsents {
  const keyFor = (accountId: string, clientId: string): string => `${accountId}:${clientId}`;
  return {
    async find(accountId, clientId) {
      const stored: unknown = await store.get(keyFor(accountId, clientId));
      // Records of an older shape (a shared grant id) are not consents: ask again.
      return isConsent(stored) ? stored : undefined;
    },
    async remember(accountId, clientId, consent, ttlSeconds) {
      await store.set(keyFor(accountId, clientId), consent, ttlSeconds);
    },
  };
}

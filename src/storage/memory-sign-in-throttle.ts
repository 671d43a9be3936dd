import { accountDelaySeconds, type SignInThrottle, type ThrottlePolicy } from '../accounts/sign-in-throttle.js';
import { ExpiringMap } from './memory-adapter.js';

/** The sign-in throttle of one process, with the Redis one's rules (development and tests). */
export function createMemorySignInThrottle(policy: ThrottlePolicy): SignInThrottle {
  const counters = new ExpiringMap<number>();
  const delays = new ExpiringMap<true>();
  // Which pairs have had their locking failure reported: exactly one failure locks a pair.
  const lockedPairs = new ExpiringMap<true>();
  const addressesOf = new Map<string, Set<string>>();
  const pairKey = (login: string, address: string): string => `pair:${login}\n${address}`;
  const failuresKey = (login: string): string => `failures:${login}`;
  const addressKey = (address: string): string => `address:${address}`;

  const secondsLeft = (map: ExpiringMap<unknown>, key: string, fallback: number): number => {
    const expiresAt = map.expiresAt(key);
    return expiresAt === undefined || !Number.isFinite(expiresAt) ? fallback : Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000));
  };
  const increment = (key: string, windowSeconds: number): number => {
    const next = (counters.get(key) ?? 0) + 1;
    counters.set(key, next, next === 1 ? windowSeconds : secondsLeft(counters, key, windowSeconds));
    return next;
  };
  const takeBack = (key: string): void => {
    const current = counters.get(key);
    if (current !== undefined && current > 0) counters.set(key, current - 1, secondsLeft(counters, key, 1));
  };

  return {
    async begin({ login, address }) {
      if ((counters.get(addressKey(address)) ?? 0) >= policy.addressFailures) {
        return { scope: 'address', retryAfterSeconds: secondsLeft(counters, addressKey(address), policy.addressWindowSeconds) };
      }
      if (delays.get(login)) return { scope: 'account', retryAfterSeconds: secondsLeft(delays, login, 1) };
      if ((counters.get(pairKey(login, address)) ?? 0) >= policy.pairFailures) {
        return { scope: 'pair', retryAfterSeconds: secondsLeft(counters, pairKey(login, address), policy.pairWindowSeconds) };
      }
      increment(addressKey(address), policy.addressWindowSeconds);
      increment(pairKey(login, address), policy.pairWindowSeconds);
      increment(failuresKey(login), policy.accountWindowSeconds);
      const seen = addressesOf.get(login) ?? new Set<string>();
      seen.add(address);
      addressesOf.set(login, seen);
      return undefined;
    },
    async failed({ login, address }) {
      const key = pairKey(login, address);
      const delaySeconds = accountDelaySeconds((counters.get(failuresKey(login)) ?? 0) - policy.accountFailures, policy.accountMaxDelaySeconds);
      if (delaySeconds > 0) delays.set(login, true, delaySeconds);
      const pairLocked = (counters.get(key) ?? 0) >= policy.pairFailures && !lockedPairs.get(key);
      if (pairLocked) lockedPairs.set(key, true, secondsLeft(counters, key, policy.pairWindowSeconds));
      return { pairLocked, delaySeconds };
    },
    async passed({ login, address }) {
      takeBack(pairKey(login, address));
      takeBack(failuresKey(login));
      takeBack(addressKey(address));
    },
    async signedIn({ login, address }) {
      counters.delete(pairKey(login, address));
      lockedPairs.delete(pairKey(login, address));
      addressesOf.get(login)?.delete(address);
    },
    async status(login) {
      const now = Date.now();
      const lockedAddresses = [...(addressesOf.get(login) ?? [])]
        .filter((address) => (counters.get(pairKey(login, address)) ?? 0) >= policy.pairFailures)
        .map((address) => ({ address, until: new Date(now + secondsLeft(counters, pairKey(login, address), 0) * 1000) }));
      return {
        lockedAddresses,
        slowedUntil: delays.get(login) ? new Date(now + secondsLeft(delays, login, 0) * 1000) : undefined,
        recentFailures: counters.get(failuresKey(login)) ?? 0,
      };
    },
    async clear(login) {
      for (const address of addressesOf.get(login) ?? []) {
        counters.delete(pairKey(login, address));
        lockedPairs.delete(pairKey(login, address));
      }
      addressesOf.delete(login);
      counters.delete(failuresKey(login));
      delays.delete(login);
    },
  };
}

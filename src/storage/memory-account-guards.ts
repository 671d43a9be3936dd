import type { OneTimeClaims } from '../accounts/one-time-claims.js';
import { ExpiringMap } from './memory-adapter.js';

/** In-memory twin of the Redis one-time claims. */
export function createMemoryOneTimeClaims(): OneTimeClaims {
  const claims = new ExpiringMap<true>();
  return {
    async claim(key, ttlSeconds) {
      if (claims.get(key)) return false;
      claims.set(key, true, ttlSeconds);
      return true;
    },
  };
}

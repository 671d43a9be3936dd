
import type { RedisClient } from './redis-connection.js';
import type { OneTimeClaims } from '../accounts/one-time-claims.js';

export function createRedisOneTimeClaims(redis: RedisClient, prefix: string): OneTimeClaims {
  return {
    async claim(key, ttlSeconds) {
      return (await redis.set(`${prefix}claim:{${key}}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
    },
  };
}

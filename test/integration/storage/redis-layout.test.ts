import { Redis } from 'ioredis';

import { createRedisAdapterFactory } from '../../../src/storage/redis-adapter.js';
import { createRedisKeys } from '../../../src/storage/redis-keys.js';
import { requireEnv, uniqueRedisPrefix } from '../../support/test-env.js';

describe('redis key layout', () => {
  let redis: Redis;
  let prefix: string;
  beforeAll(() => {
    redis = new Redis(requireEnv('REDIS_URL'));
    prefix = uniqueRedisPrefix();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('writes only prefixed, hash-tagged keys, each with a TTL', async () => {
    const factory = createRedisAdapterFactory(redis, createRedisKeys(prefix));
    await factory('Session').upsert('sid1', { jti: 'sid1', uid: 'uid1' }, 120);
    await factory('AccessToken').upsert('at1', { jti: 'at1', grantId: 'g1' }, 60);
    await factory('RefreshToken').upsert('rt1', { jti: 'rt1', grantId: 'g1' }, 300);

    const keys = (await redis.keys(`${prefix}*`)).sort();
    expect(keys).toEqual([
      `${prefix}AccessToken:{at1}`,
      `${prefix}RefreshToken:{rt1}`,
      `${prefix}Session:uid:{uid1}`,
      `${prefix}Session:{sid1}`,
      `${prefix}grant:{g1}`,
    ].sort());
    for (const key of keys) {
      expect(await redis.ttl(key)).toBeGreaterThan(0);
    }
    // The grant index lives as long as its longest-lived member.
    expect(await redis.ttl(`${prefix}grant:{g1}`)).toBeGreaterThan(250);
  });
});

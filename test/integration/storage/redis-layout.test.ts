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
      `${prefix}grant:{g1}:members`,
    ].sort());
    for (const key of keys) {
      expect(await redis.ttl(key)).toBeGreaterThan(0);
    }
    // The grant index lives as long as its longest-lived member.
    expect(await redis.ttl(`${prefix}grant:{g1}:members`)).toBeGreaterThan(250);
  });

  it('keeps grant index members within 64 bytes, so Redis 7.2+ stores a grant index as a listpack', async () => {
    const factory = createRedisAdapterFactory(redis, createRedisKeys(prefix));
    // oidc-provider's ids are 43 characters; AuthorizationCode is the longest model name indexed here.
    const id = 'a'.repeat(43);
    const grantId = 'g'.repeat(43);
    await factory('AuthorizationCode').upsert(id, { jti: id, grantId }, 60);
    await factory('RefreshToken').upsert(id, { jti: id, grantId }, 60);
    await factory('AccessToken').upsert(id, { jti: id, grantId }, 60);
    const members = await redis.smembers(`${prefix}grant:{${grantId}}:members`);
    expect(members.sort()).toEqual([`AccessToken:${id}`, `AuthorizationCode:${id}`, `RefreshToken:${id}`]);
    for (const member of members) expect(Buffer.byteLength(member)).toBeLessThanOrEqual(64);
  });

  it('revokes a grant indexed the way earlier versions wrote it (whole keys) together with what is indexed now', async () => {
    const keys = createRedisKeys(prefix);
    const factory = createRedisAdapterFactory(redis, keys);
    // Written before the upgrade: the token and an index of whole keys.
    await redis.set(keys.artifact('AccessToken', 'old-at'), JSON.stringify({ jti: 'old-at', grantId: 'g2' }), 'EX', 600);
    await redis.sadd(keys.legacyGrant('g2'), keys.artifact('AccessToken', 'old-at'));
    await redis.expire(keys.legacyGrant('g2'), 600);
    // Written after it.
    await factory('RefreshToken').upsert('new-rt', { jti: 'new-rt', grantId: 'g2' }, 60);

    await factory('Grant').revokeByGrantId('g2');

    expect(await redis.exists(keys.artifact('AccessToken', 'old-at'), keys.artifact('RefreshToken', 'new-rt'), keys.legacyGrant('g2'), keys.grant('g2'))).toBe(0);
    // Marked for as long as the longer of the two indexes would have lived.
    expect(await redis.ttl(keys.grantRevoked('g2'))).toBeGreaterThan(600);
    await expect(factory('AccessToken').upsert('late-at', { jti: 'late-at', grantId: 'g2' }, 60)).rejects.toThrow();
  });

  it('stores no jti or kind that repeat the key, and gives them back on read, also for records stored with them', async () => {
    const keys = createRedisKeys(prefix);
    const sessions = createRedisAdapterFactory(redis, keys)('Session');
    await sessions.upsert('sid-short', { jti: 'sid-short', kind: 'Session', accountId: 'a1' }, 60);
    expect(JSON.parse((await redis.get(keys.artifact('Session', 'sid-short'))) ?? '{}')).toEqual({ accountId: 'a1' });
    expect(await sessions.find('sid-short')).toEqual({ jti: 'sid-short', kind: 'Session', accountId: 'a1' });

    await redis.set(keys.artifact('Session', 'sid-whole'), JSON.stringify({ jti: 'sid-whole', kind: 'Session', accountId: 'a2' }), 'EX', 60);
    expect(await sessions.find('sid-whole')).toEqual({ jti: 'sid-whole', kind: 'Session', accountId: 'a2' });
  });
});

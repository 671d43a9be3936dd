import { Redis } from 'ioredis';

import { createRedisAccountSessions, createRedisAdapterFactory } from '../../../src/storage/redis-adapter.js';
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
      `${prefix}grant:{g1}:index`,
    ].sort());
    for (const key of keys) {
      expect(await redis.ttl(key)).toBeGreaterThan(0);
    }
    // The grant index lives as long as its longest-lived member.
    expect(await redis.ttl(`${prefix}grant:{g1}:index`)).toBeGreaterThan(250);
  });

  it('keeps grant index members within 64 bytes, so Redis stores a small grant index as a listpack', async () => {
    const factory = createRedisAdapterFactory(redis, createRedisKeys(prefix));
    // oidc-provider's ids are 43 characters; AuthorizationCode is the longest model name indexed here.
    const id = 'a'.repeat(43);
    const grantId = 'g'.repeat(43);
    await factory('AuthorizationCode').upsert(id, { jti: id, grantId }, 60);
    await factory('RefreshToken').upsert(id, { jti: id, grantId }, 60);
    await factory('AccessToken').upsert(id, { jti: id, grantId }, 60);
    const members = await redis.zrange(`${prefix}grant:{${grantId}}:index`, 0, -1);
    expect(members.sort()).toEqual([`AccessToken:${id}`, `AuthorizationCode:${id}`, `RefreshToken:${id}`]);
    for (const member of members) expect(Buffer.byteLength(member)).toBeLessThanOrEqual(64);
    expect(await redis.object('ENCODING', `${prefix}grant:{${grantId}}:index`)).toBe('listpack');
  });

  it('drops the members of a grant index whose artifacts have expired when it adds one, and keeps the rest', async () => {
    const keys = createRedisKeys(prefix);
    const factory = createRedisAdapterFactory(redis, keys);
    await factory('RefreshToken').upsert('rt-long', { jti: 'rt-long', grantId: 'g3' }, 1_209_600);
    await factory('AccessToken').upsert('at-old', { jti: 'at-old', grantId: 'g3' }, 3600);
    await factory('AccessToken').upsert('at-forever', { jti: 'at-forever', grantId: 'g3' });
    const [now] = await redis.time();
    // at-old's hour (and the minute allowed for clock skew) has passed.
    await redis.zadd(keys.grant('g3'), Number(now) - 1, 'AccessToken:at-old');
    // A score just ahead of the server's clock is not yet expired.
    await redis.zadd(keys.grant('g3'), Number(now) + 5, 'AccessToken:at-soon');

    await factory('AccessToken').upsert('at-new', { jti: 'at-new', grantId: 'g3' }, 3600);

    expect((await redis.zrange(keys.grant('g3'), 0, -1)).sort()).toEqual(['AccessToken:at-forever', 'AccessToken:at-new', 'AccessToken:at-soon', 'RefreshToken:rt-long']);
    // Each member's score is when its artifact expires, plus the minute allowed for clock skew.
    const score = Number(await redis.zscore(keys.grant('g3'), 'AccessToken:at-new'));
    expect(score).toBeGreaterThanOrEqual(Number(now) + 3600 + 60);
    expect(score).toBeLessThan(Number(now) + 3600 + 60 + 30);
    expect(await redis.zscore(keys.grant('g3'), 'AccessToken:at-forever')).toBe('inf');
    // A member that never expires keeps the index for good.
    expect(await redis.ttl(keys.grant('g3'))).toBe(-1);
  });

  it('revokes a grant whose artifacts are in the indexes of both earlier versions and of this one', async () => {
    const keys = createRedisKeys(prefix);
    const factory = createRedisAdapterFactory(redis, keys);
    await redis.set(keys.artifact('AccessToken', 'first-at'), JSON.stringify({ grantId: 'g4' }), 'EX', 600);
    await redis.sadd(keys.legacyGrant('g4'), keys.artifact('AccessToken', 'first-at'));
    await redis.expire(keys.legacyGrant('g4'), 600);
    await redis.set(keys.artifact('RefreshToken', 'second-rt'), JSON.stringify({ grantId: 'g4' }), 'EX', 7200);
    await redis.sadd(keys.previousGrant('g4'), 'RefreshToken:second-rt');
    await redis.expire(keys.previousGrant('g4'), 7200);
    await factory('AccessToken').upsert('third-at', { jti: 'third-at', grantId: 'g4' }, 60);

    await factory('Grant').revokeByGrantId('g4');

    const artifacts = [keys.artifact('AccessToken', 'first-at'), keys.artifact('RefreshToken', 'second-rt'), keys.artifact('AccessToken', 'third-at')];
    expect(await redis.exists(...artifacts, keys.legacyGrant('g4'), keys.previousGrant('g4'), keys.grant('g4'))).toBe(0);
    // Marked for as long as the longest-lived index would have lived.
    expect(await redis.ttl(keys.grantRevoked('g4'))).toBeGreaterThan(7200);
  });

  it('destroys an artifact out of whichever grant index holds it', async () => {
    const keys = createRedisKeys(prefix);
    const factory = createRedisAdapterFactory(redis, keys);
    await redis.set(keys.artifact('AccessToken', 'old-at5'), JSON.stringify({ grantId: 'g5' }), 'EX', 600);
    await redis.sadd(keys.previousGrant('g5'), 'AccessToken:old-at5', 'AccessToken:other');
    await factory('AccessToken').upsert('new-at5', { jti: 'new-at5', grantId: 'g5' }, 600);

    await factory('AccessToken').destroy('old-at5');
    await factory('AccessToken').destroy('new-at5');

    expect(await redis.smembers(keys.previousGrant('g5'))).toEqual(['AccessToken:other']);
    expect(await redis.zcard(keys.grant('g5'))).toBe(0);
  });

  it("lists and ends an account's sessions and grants from its index and from the set earlier versions wrote", async () => {
    const keys = createRedisKeys(prefix);
    const factory = createRedisAdapterFactory(redis, keys);
    const sessions = createRedisAccountSessions(redis, keys, factory);
    await redis.set(keys.artifact('Session', 'old-session'), JSON.stringify({ accountId: 'acct1', uid: 'old-uid' }), 'EX', 600);
    await redis.sadd(keys.previousAccount('acct1'), 'Session:old-session');
    await factory('Session').upsert('new-session', { jti: 'new-session', uid: 'new-uid', accountId: 'acct1' }, 600);
    expect(await redis.type(keys.account('acct1'))).toBe('zset');

    expect((await sessions.list('acct1')).sort()).toEqual(['Session:new-session', 'Session:old-session']);
    expect(await sessions.endAll('acct1')).toEqual({ sessions: 2, grants: 0 });

    expect(await redis.exists(keys.artifact('Session', 'old-session'), keys.artifact('Session', 'new-session'), keys.account('acct1'), keys.previousAccount('acct1'))).toBe(0);
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

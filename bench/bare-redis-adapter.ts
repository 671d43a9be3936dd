/**
 * The least an oidc-provider storage adapter on Redis can do, for the like-for-like ceiling:
 * each artifact a hash (payload, and consumed once used) with its TTL, pointers for uid and user
 * code, and a list per grant for revocation. No hash tags, no revocation markers, no audit: what
 * Latchkey's own adapter adds on top of this is what the bench measures.
 */
import type { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';

// Models whose records are found by another key than their id.
const GRANT_BOUND = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export function createBareRedisAdapter(redis: Redis): (model: string) => Adapter {
  return (model) => {
    const key = (id: string): string => `bare:${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const multi = redis.multi().hset(key(id), 'payload', JSON.stringify(payload));
        if (expiresIn) multi.expire(key(id), expiresIn);
        if (GRANT_BOUND.has(model) && payload.grantId) {
          const grant = `bare:grant:${payload.grantId}`;
          multi.rpush(grant, key(id));
          if (expiresIn) multi.expire(grant, expiresIn, 'GT');
        }
        if (payload.uid) multi.set(`bare:uid:${payload.uid}`, id, 'EX', expiresIn || 3600);
        if (payload.userCode) multi.set(`bare:userCode:${payload.userCode}`, id, 'EX', expiresIn || 3600);
        await multi.exec();
      },
      async find(id) {
        const record = await redis.hgetall(key(id));
        if (!record.payload) return undefined;
        const payload = JSON.parse(record.payload) as AdapterPayload;
        return record.consumed ? { ...payload, consumed: Number(record.consumed) } : payload;
      },
      async findByUid(uid) {
        const id = await redis.get(`bare:uid:${uid}`);
        return id ? this.find(id) : undefined;
      },
      async findByUserCode(userCode) {
        const id = await redis.get(`bare:userCode:${userCode}`);
        return id ? this.find(id) : undefined;
      },
      async consume(id) {
        await redis.hset(key(id), 'consumed', Math.floor(Date.now() / 1000));
      },
      async destroy(id) {
        await redis.del(key(id));
      },
      async revokeByGrantId(grantId) {
        const grant = `bare:grant:${grantId}`;
        const keys = await redis.lrange(grant, 0, -1);
        await redis.del(...keys, grant);
      },
    };
  };
}

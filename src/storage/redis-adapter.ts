import type { Redis } from 'ioredis';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

import { alreadyConsumed, noLongerExists } from './already-consumed.js';
import { GRANT_BOUND_MODELS } from './model-names.js';
import type { RedisKeys } from './redis-keys.js';

// Each artifact is a hash: `p` holds the JSON payload, `c` the consumption time. Keeping
// `c` apart lets consume() flip it atomically on the server without rewriting the payload.
const PAYLOAD_FIELD = 'p';
const CONSUMED_FIELD = 'c';

// Returns 1 when this call consumed the artifact, 0 when it was consumed already, -1 when it
// does not exist (HSETNX alone would create a key without a TTL).
const CONSUME_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[1], '${CONSUMED_FIELD}', ARGV[1])
`;

function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function parsePayload(raw: string | null, consumed: string | null): AdapterPayload | undefined {
  if (raw === null) return undefined;
  // The payload was written by upsert() from the provider's own object; it is trusted data.
  const payload = JSON.parse(raw) as AdapterPayload;
  if (consumed !== null) payload.consumed = Number(consumed);
  return payload;
}

class RedisAdapter implements Adapter {
  readonly #model: string;
  readonly #redis: Redis;
  readonly #keys: RedisKeys;

  constructor(model: string, redis: Redis, keys: RedisKeys) {
    this.#model = model;
    this.#redis = redis;
    this.#keys = keys;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#keys.artifact(this.#model, id);
    const tx = this.#redis.multi();
    tx.del(key);
    tx.hset(key, PAYLOAD_FIELD, JSON.stringify(payload));
    if (expiresIn) tx.expire(key, expiresIn);

    if (this.#model === 'Session' && payload.uid) {
      const uidKey = this.#keys.sessionUid(payload.uid);
      if (expiresIn) tx.set(uidKey, id, 'EX', expiresIn);
      else tx.set(uidKey, id);
    }

    const indexKeys = [key];
    if (payload.userCode) {
      const userCodeKey = this.#keys.userCode(payload.userCode);
      indexKeys.push(userCodeKey);
      if (expiresIn) tx.set(userCodeKey, id, 'EX', expiresIn);
      else tx.set(userCodeKey, id);
    }

    if (GRANT_BOUND_MODELS.has(this.#model) && payload.grantId) {
      const grantKey = this.#keys.grant(payload.grantId);
      tx.sadd(grantKey, ...indexKeys);
      if (expiresIn) {
        // The grant index must outlive its longest-lived member: NX sets the first TTL, GT
        // only ever extends it.
        tx.expire(grantKey, expiresIn, 'NX');
        tx.expire(grantKey, expiresIn, 'GT');
      } else {
        tx.persist(grantKey);
      }
    }
    await tx.exec();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const [raw, consumed] = await this.#redis.hmget(this.#keys.artifact(this.#model, id), PAYLOAD_FIELD, CONSUMED_FIELD);
    return parsePayload(raw ?? null, consumed ?? null);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    // Two round trips: the uid index and the session live under different hash tags.
    const id = await this.#redis.get(this.#keys.sessionUid(uid));
    return id === null ? undefined : this.find(id);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.#redis.get(this.#keys.userCode(userCode));
    return id === null ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const key = this.#keys.artifact(this.#model, id);
    const result = await this.#redis.eval(CONSUME_SCRIPT, 1, key, String(epochSeconds()));
    if (result === -1) throw noLongerExists(this.#model);
    if (result === 0) {
      const payload = await this.find(id);
      if (payload?.grantId) await this.revokeByGrantId(payload.grantId);
      throw alreadyConsumed(this.#model);
    }
  }

  async destroy(id: string): Promise<void> {
    const key = this.#keys.artifact(this.#model, id);
    const raw = await this.#redis.hget(key, PAYLOAD_FIELD);
    const payload = parsePayload(raw, null);
    const tx = this.#redis.multi();
    tx.del(key);
    if (payload?.uid && this.#model === 'Session') tx.del(this.#keys.sessionUid(payload.uid));
    if (payload?.userCode) tx.del(this.#keys.userCode(payload.userCode));
    if (payload?.grantId && GRANT_BOUND_MODELS.has(this.#model)) tx.srem(this.#keys.grant(payload.grantId), key);
    await tx.exec();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = this.#keys.grant(grantId);
    const members = await this.#redis.smembers(grantKey);
    const tx = this.#redis.multi();
    for (const member of members) tx.del(member);
    tx.del(grantKey);
    await tx.exec();
  }
}

/** oidc-provider adapter factory storing every artifact in Redis with its TTL. */
export function createRedisAdapterFactory(redis: Redis, keys: RedisKeys): AdapterFactory {
  return (model: string) => new RedisAdapter(model, redis, keys);
}

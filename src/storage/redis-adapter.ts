import type { ChainableCommander, Redis } from 'ioredis';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

import { alreadyConsumed, noLongerExists } from './already-consumed.js';
import { ACCOUNT_BOUND_MODELS, CONSUMABLE_MODELS, GRANT_BOUND_MODELS } from './model-names.js';
import { endMembers, type AccountSessions } from './account-sessions.js';
import type { RedisKeys } from './redis-keys.js';

// A consumable artifact is a hash: `p` holds the JSON payload, `c` the consumption time, kept
// apart so that consume() flips it atomically on the server without rewriting the payload.
// Every other artifact is a plain string, written with one SET (the hot client_credentials path).
const PAYLOAD_FIELD = 'p';
const CONSUMED_FIELD = 'c';

// Returns 1 when this call consumed the artifact, 0 when it was consumed already, -1 when it
// does not exist (HSETNX alone would create a key without a TTL).
const CONSUME_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[1], '${CONSUMED_FIELD}', ARGV[1])
`;

function setExpiring(target: Redis | ChainableCommander, key: string, value: string, expiresIn?: number): unknown {
  return expiresIn ? target.set(key, value, 'EX', expiresIn) : target.set(key, value);
}

// An index set must outlive its longest-lived member: NX sets the first TTL, GT only ever
// extends it; a member without expiry makes the index permanent.
function addToIndex(tx: ChainableCommander, indexKey: string, members: readonly string[], expiresIn?: number): void {
  tx.sadd(indexKey, ...members);
  if (expiresIn) {
    tx.expire(indexKey, expiresIn, 'NX');
    tx.expire(indexKey, expiresIn, 'GT');
  } else {
    tx.persist(indexKey);
  }
}

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

  get #consumable(): boolean {
    return CONSUMABLE_MODELS.has(this.#model);
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#keys.artifact(this.#model, id);
    const value = JSON.stringify(payload);
    const accountId = ACCOUNT_BOUND_MODELS.has(this.#model) ? payload.accountId : undefined;
    const indexed = (this.#model === 'Session' && payload.uid) || payload.userCode || (GRANT_BOUND_MODELS.has(this.#model) && payload.grantId) || accountId;
    if (!this.#consumable && !indexed) {
      await setExpiring(this.#redis, key, value, expiresIn);
      return;
    }
    const tx = this.#redis.multi();
    if (this.#consumable) {
      tx.del(key);
      tx.hset(key, PAYLOAD_FIELD, value);
      if (expiresIn) tx.expire(key, expiresIn);
    } else {
      setExpiring(tx, key, value, expiresIn);
    }

    if (this.#model === 'Session' && payload.uid) setExpiring(tx, this.#keys.sessionUid(payload.uid), id, expiresIn);

    const indexKeys = [key];
    if (payload.userCode) {
      const userCodeKey = this.#keys.userCode(payload.userCode);
      indexKeys.push(userCodeKey);
      setExpiring(tx, userCodeKey, id, expiresIn);
    }

    if (GRANT_BOUND_MODELS.has(this.#model) && payload.grantId) addToIndex(tx, this.#keys.grant(payload.grantId), indexKeys, expiresIn);
    if (accountId) addToIndex(tx, this.#keys.account(accountId), [`${this.#model}:${id}`], expiresIn);
    await tx.exec();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.#keys.artifact(this.#model, id);
    if (!this.#consumable) return parsePayload(await this.#redis.get(key), null);
    const [raw, consumed] = await this.#redis.hmget(key, PAYLOAD_FIELD, CONSUMED_FIELD);
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
    if (!this.#consumable) throw new Error(`${this.#model} artifacts are not consumable`);
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
    const raw = this.#consumable ? await this.#redis.hget(key, PAYLOAD_FIELD) : await this.#redis.get(key);
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

/**
 * Ends every session and grant of an account (with each grant's tokens): what disabling,
 * deleting or re-crediting an account needs, on every instance at once since all of it lives
 * here. The index is written by the adapter as sessions and grants are stored.
 */
export function createRedisAccountSessions(redis: Redis, keys: RedisKeys, adapter: AdapterFactory): AccountSessions {
  return {
    async endAll(accountId) {
      const indexKey = keys.account(accountId);
      const members = await redis.smembers(indexKey);
      const ended = await endMembers(adapter, members);
      await redis.del(indexKey);
      return ended;
    },
    async list(accountId) {
      return redis.smembers(keys.account(accountId));
    },
    async end(accountId, members) {
      const ended = await endMembers(adapter, members);
      if (members.length > 0) await redis.srem(keys.account(accountId), ...members);
      return ended;
    },
  };
}

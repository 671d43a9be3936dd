import type { RedisClient } from './redis-connection.js';
import type { ChainableCommander } from 'ioredis';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

import { alreadyConsumed, grantRevoked, noLongerExists } from './already-consumed.js';
import { ACCOUNT_BOUND_MODELS, CONSUMABLE_MODELS, GRANT_BOUND_MODELS } from './model-names.js';
import { endMembers, type AccountSessions } from './account-sessions.js';
import { indexMember, parseIndexMember } from './index-member.js';
import type { RedisKeys } from './redis-keys.js';
import { defineRedisScript } from './redis-script.js';

// A consumable artifact is a hash: `p` holds the JSON payload, `c` the consumption time, kept
// apart so that consume() flips it atomically on the server without rewriting the payload.
// Every other artifact is a plain string, written with one SET (the hot client_credentials path).
const PAYLOAD_FIELD = 'p';
const CONSUMED_FIELD = 'c';

// Returns 1 when this call consumed the artifact, 0 when it was consumed already, -1 when it
// does not exist (HSETNX alone would create a key without a TTL).
const CONSUME_SCRIPT = defineRedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[1], '${CONSUMED_FIELD}', ARGV[1])
`);

function setExpiring(target: RedisClient | ChainableCommander, key: string, value: string, expiresIn?: number): unknown {
  return expiresIn ? target.set(key, value, 'EX', expiresIn) : target.set(key, value);
}

// An index (a grant's artifacts, an account's sessions and grants) is a sorted set whose scores
// say when each member's artifact expires, by the server's clock: adding drops the members that
// have expired, so an index kept alive by new members (a grant refreshed for weeks) holds what
// still exists rather than everything it ever held. The score allows a minute more than the
// artifact's TTL: on a cluster the artifact may live on a node whose clock runs behind, and a
// member dropped early would be an artifact that revocation misses. The index itself expires with
// its longest-lived member (the highest score); a member that never expires keeps it for good.
// KEYS[1] is the index; ARGV[1] the TTL ('' for none), then the members.
const CLOCK_SKEW_SECONDS = 60;
const ADD_TO_INDEX = `
local now = tonumber(redis.call('TIME')[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
local score = '+inf'
if ARGV[1] ~= '' then score = now + tonumber(ARGV[1]) + ${CLOCK_SKEW_SECONDS} end
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'GT', score, ARGV[i]) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
if last == 'inf' then redis.call('PERSIST', KEYS[1]) else redis.call('EXPIREAT', KEYS[1], last) end
`;

const ADD_TO_ACCOUNT_SCRIPT = defineRedisScript(`${ADD_TO_INDEX}
return 1
`);

// A grant's index and its revocation marker (KEYS[2]) share the grant's hash tag, so each script
// below runs in one slot, on one Redis or a Redis Cluster. Adding refuses once the grant is
// revoked (returns 0); the caller then deletes the artifact it has just written. Because the
// artifact is written before it is added, and revocation marks before it reads the index, every
// artifact is either in the index revocation read, or refused.
const ADD_TO_GRANT_SCRIPT = defineRedisScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
${ADD_TO_INDEX}
return 1
`);

// Marks the grant revoked for as long as anything could still be added to it (the longest TTL of
// its indexes, else a day), and returns the members of the index and of the previous index
// (KEYS[3]), then those of the legacy index (KEYS[4], whole keys), for the caller to delete.
const REVOKE_GRANT_SCRIPT = defineRedisScript(`
local function lifetime(key)
  local ttl = redis.call('TTL', key)
  if ttl == -1 then return 86400 end
  return ttl
end
local ttl = math.max(lifetime(KEYS[1]), lifetime(KEYS[3]), lifetime(KEYS[4]))
if ttl < 0 then ttl = 86400 end
redis.call('SET', KEYS[2], '1', 'EX', ttl + 60)
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, member in ipairs(redis.call('SMEMBERS', KEYS[3])) do members[#members + 1] = member end
return {members, redis.call('SMEMBERS', KEYS[4])}
`);

function indexArguments(expiresIn: number | undefined, members: readonly string[]): string[] {
  return [expiresIn ? String(expiresIn) : '', ...members];
}

/** The key of a grant index member: an artifact, or (`userCode:<code>`) a user-code pointer. */
function keyOfGrantMember(keys: RedisKeys, member: string): string {
  const { model, id } = parseIndexMember(member);
  return model === 'userCode' ? keys.userCode(id) : keys.artifact(model, id);
}

function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

// `jti` and `kind` repeat the key (its id and model): left out when both do (about 60 bytes of
// every artifact) and put back on read when both are missing. The provider writes both on every
// model; records written with them stored read the same.
function serialisePayload(model: string, id: string, payload: AdapterPayload): string {
  const { jti, kind, ...rest } = payload;
  if (jti === id && kind === model) return JSON.stringify(rest);
  return JSON.stringify(payload);
}

function parsePayload(model: string, id: string, raw: string | null, consumed: string | null): AdapterPayload | undefined {
  if (raw === null) return undefined;
  // The payload was written by upsert() from the provider's own object; it is trusted data.
  const payload = JSON.parse(raw) as AdapterPayload;
  if (payload.jti === undefined && payload.kind === undefined) {
    payload.jti = id;
    payload.kind = model;
  }
  if (consumed !== null) payload.consumed = Number(consumed);
  return payload;
}

class RedisAdapter implements Adapter {
  readonly #model: string;
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;

  constructor(model: string, redis: RedisClient, keys: RedisKeys) {
    this.#model = model;
    this.#redis = redis;
    this.#keys = keys;
  }

  get #consumable(): boolean {
    return CONSUMABLE_MODELS.has(this.#model);
  }

  /**
   * One command for most artifacts (the hot client_credentials path). Otherwise each key is
   * written in its own slot: the artifact (a consumable one as a hash, in one MULTI), its lookup
   * pointers and the account index at once, then the grant index, which may refuse (see
   * ADD_TO_GRANT_SCRIPT).
   */
  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#keys.artifact(this.#model, id);
    const value = serialisePayload(this.#model, id, payload);
    const accountId = ACCOUNT_BOUND_MODELS.has(this.#model) ? payload.accountId : undefined;
    const grantId = GRANT_BOUND_MODELS.has(this.#model) ? payload.grantId : undefined;
    const indexed = (this.#model === 'Session' && payload.uid) || payload.userCode || grantId || accountId;
    if (!this.#consumable && !indexed) {
      await setExpiring(this.#redis, key, value, expiresIn);
      return;
    }
    const writes: Array<Promise<unknown>> = [];
    if (this.#consumable) {
      const tx = this.#redis.multi().del(key).hset(key, PAYLOAD_FIELD, value);
      if (expiresIn) tx.expire(key, expiresIn);
      writes.push(tx.exec());
    } else {
      writes.push(Promise.resolve(setExpiring(this.#redis, key, value, expiresIn)));
    }
    if (this.#model === 'Session' && payload.uid) writes.push(Promise.resolve(setExpiring(this.#redis, this.#keys.sessionUid(payload.uid), id, expiresIn)));
    const userCodeKey = payload.userCode ? this.#keys.userCode(payload.userCode) : undefined;
    if (userCodeKey) writes.push(Promise.resolve(setExpiring(this.#redis, userCodeKey, id, expiresIn)));
    if (accountId) writes.push(ADD_TO_ACCOUNT_SCRIPT(this.#redis, [this.#keys.account(accountId)], indexArguments(expiresIn, [indexMember(this.#model, id)])));
    await Promise.all(writes);

    if (!grantId) return;
    const members = [indexMember(this.#model, id), ...(payload.userCode ? [indexMember('userCode', payload.userCode)] : [])];
    const added = await ADD_TO_GRANT_SCRIPT(this.#redis, [this.#keys.grant(grantId), this.#keys.grantRevoked(grantId)], indexArguments(expiresIn, members));
    if (added === 0) {
      await Promise.all([key, ...(userCodeKey ? [userCodeKey] : [])].map((written) => this.#redis.del(written)));
      throw grantRevoked(this.#model);
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.#keys.artifact(this.#model, id);
    if (!this.#consumable) return parsePayload(this.#model, id, await this.#redis.get(key), null);
    const [raw, consumed] = await this.#redis.hmget(key, PAYLOAD_FIELD, CONSUMED_FIELD);
    return parsePayload(this.#model, id, raw ?? null, consumed ?? null);
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
    const result = await CONSUME_SCRIPT(this.#redis, [key], [String(epochSeconds())]);
    if (result === -1) throw noLongerExists(this.#model);
    if (result === 0) {
      const payload = await this.find(id);
      if (payload?.grantId) await this.revokeByGrantId(payload.grantId);
      throw alreadyConsumed(this.#model);
    }
  }

  async destroy(id: string): Promise<void> {
    const key = this.#keys.artifact(this.#model, id);
    // Only a session (its uid pointer) and a grant's artifacts (the grant index, a device code's
    // user-code pointer) leave keys that name them; anything else (an interaction at the end of
    // every sign-in) goes with one DEL, without reading it first.
    if (this.#model !== 'Session' && !GRANT_BOUND_MODELS.has(this.#model)) {
      await this.#redis.del(key);
      return;
    }
    const raw = this.#consumable ? await this.#redis.hget(key, PAYLOAD_FIELD) : await this.#redis.get(key);
    const payload = parsePayload(this.#model, id, raw, null);
    // Each key in its own slot: the artifact first, then what points at it.
    const removals: Array<Promise<unknown>> = [this.#redis.del(key)];
    if (payload?.uid && this.#model === 'Session') removals.push(this.#redis.del(this.#keys.sessionUid(payload.uid)));
    if (payload?.userCode) removals.push(this.#redis.del(this.#keys.userCode(payload.userCode)));
    if (payload?.grantId && GRANT_BOUND_MODELS.has(this.#model)) {
      const member = indexMember(this.#model, id);
      removals.push(this.#redis.zrem(this.#keys.grant(payload.grantId), member));
      removals.push(this.#redis.srem(this.#keys.previousGrant(payload.grantId), member));
      removals.push(this.#redis.srem(this.#keys.legacyGrant(payload.grantId), key));
    }
    await Promise.all(removals);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const indexKeys = [this.#keys.grant(grantId), this.#keys.previousGrant(grantId), this.#keys.legacyGrant(grantId)] as const;
    const [grantKey, previousKey, legacyKey] = indexKeys;
    const [members, legacyMembers] = (await REVOKE_GRANT_SCRIPT(this.#redis, [grantKey, this.#keys.grantRevoked(grantId), previousKey, legacyKey], [])) as [string[], string[]];
    const artifacts = [...members.map((member) => keyOfGrantMember(this.#keys, member)), ...legacyMembers];
    // One DEL per artifact: on a cluster they live in different slots.
    await Promise.all(artifacts.map((artifact) => this.#redis.del(artifact)));
    await this.#redis.del(...indexKeys);
  }
}

/** oidc-provider adapter factory storing every artifact in RedisClient with its TTL. */
export function createRedisAdapterFactory(redis: RedisClient, keys: RedisKeys): AdapterFactory {
  return (model: string) => new RedisAdapter(model, redis, keys);
}

/**
 * Ends every session and grant of an account (with each grant's tokens): what disabling,
 * deleting or re-crediting an account needs, on every instance at once since all of it lives
 * here. The index is written by the adapter as sessions and grants are stored.
 */
export function createRedisAccountSessions(redis: RedisClient, keys: RedisKeys, adapter: AdapterFactory): AccountSessions {
  // The index, and the set earlier versions wrote (same hash tag, so one slot for both).
  const membersOf = async (accountId: string): Promise<string[]> => {
    const [current, previous] = await Promise.all([redis.zrange(keys.account(accountId), 0, -1), redis.smembers(keys.previousAccount(accountId))]);
    return [...new Set([...current, ...previous])];
  };
  return {
    async endAll(accountId) {
      const ended = await endMembers(adapter, await membersOf(accountId));
      await redis.del(keys.account(accountId), keys.previousAccount(accountId));
      return ended;
    },
    list: membersOf,
    async end(accountId, members) {
      const ended = await endMembers(adapter, members);
      if (members.length > 0) await Promise.all([redis.zrem(keys.account(accountId), ...members), redis.srem(keys.previousAccount(accountId), ...members)]);
      return ended;
    },
  };
}

import type { RedisClient } from './redis-connection.js';
import { createHash } from 'node:crypto';

import type { SignInThrottle, ThrottlePolicy } from '../accounts/sign-in-throttle.js';
import { defineRedisScript } from './redis-script.js';

// Every key of one login shares its hash tag, so each script touches one slot. The login is
// hashed: keys never hold an email address, and nothing a user types can break the tag.
const BEGIN_LOGIN = defineRedisScript(`
local delay = redis.call('PTTL', KEYS[1])
if delay > 0 then return {'account', delay} end
local failures = tonumber(redis.call('GET', KEYS[2]) or '0')
if failures >= tonumber(ARGV[1]) then return {'pair', redis.call('PTTL', KEYS[2])} end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
if redis.call('INCR', KEYS[3]) == 1 then redis.call('EXPIRE', KEYS[3], ARGV[3]) end
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[4])
redis.call('EXPIRE', KEYS[4], ARGV[2])
return {'ok', 0}
`);

// The address has its own slot; its counter is checked and counted on its own.
const BEGIN_ADDRESS = defineRedisScript(`
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[1]) then return redis.call('PTTL', KEYS[1]) end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return -3
`);

const TAKE_BACK = defineRedisScript(`
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0
`);

// After a failed check: did it lock the pair, and does the login's ceiling now call for a delay?
// Concurrent failures all see the full count (begin counted them in advance); the marker makes
// exactly one of them the one that locked the pair.
const FAILED = defineRedisScript(`
local pair = tonumber(redis.call('GET', KEYS[1]) or '0')
local over = tonumber(redis.call('GET', KEYS[2]) or '0') - tonumber(ARGV[2])
local delay = 0
if over > 0 then
  delay = math.min(math.pow(2, math.min(over - 1, 30)), tonumber(ARGV[3]))
  redis.call('SET', KEYS[3], '1', 'EX', delay)
end
local locked = 0
if pair >= tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 and redis.call('SET', KEYS[4], '1', 'PX', ttl, 'NX') then locked = 1 end
end
return {locked, delay}
`);

function seconds(pttl: number, fallback: number): number {
  return pttl > 0 ? Math.ceil(pttl / 1000) : fallback;
}

/** The sign-in throttle in RedisClient: every instance counts into the same counters. */
export function createRedisSignInThrottle(redis: RedisClient, prefix: string, policy: ThrottlePolicy): SignInThrottle {
  const tag = (login: string): string => `${prefix}throttle:{${createHash('sha256').update(login).digest('base64url').slice(0, 22)}}`;
  const keys = (login: string) => ({
    delay: `${tag(login)}:delay`,
    failures: `${tag(login)}:failures`,
    addresses: `${tag(login)}:addresses`,
    pair: (address: string) => `${tag(login)}:pair:${address}`,
    locked: (address: string) => `${tag(login)}:locked:${address}`,
  });
  const addressKey = (address: string): string => `${prefix}throttle:address:{${address}}`;

  return {
    async begin({ login, address }) {
      const addressWait = Number(await BEGIN_ADDRESS(redis, [addressKey(address)], [policy.addressFailures, policy.addressWindowSeconds]));
      if (addressWait !== -3) return { scope: 'address', retryAfterSeconds: seconds(addressWait, policy.addressWindowSeconds) };
      const k = keys(login);
      const [verdict, wait] = (await BEGIN_LOGIN(
        redis, [k.delay, k.pair(address), k.failures, k.addresses],
        [policy.pairFailures, policy.pairWindowSeconds, policy.accountWindowSeconds, address, Date.now()],
      )) as [string, number];
      if (verdict === 'ok') return undefined;
      // Refused before anything was checked: the address's count is taken back.
      await TAKE_BACK(redis, [addressKey(address)], []);
      return verdict === 'pair'
        ? { scope: 'pair', retryAfterSeconds: seconds(wait, policy.pairWindowSeconds) }
        : { scope: 'account', retryAfterSeconds: seconds(wait, 1) };
    },
    async failed({ login, address }) {
      const k = keys(login);
      const [locked, delay] = (await FAILED(redis, [k.pair(address), k.failures, k.delay, k.locked(address)], [policy.pairFailures, policy.accountFailures, policy.accountMaxDelaySeconds])) as [number, number];
      return { pairLocked: locked === 1, delaySeconds: delay };
    },
    async passed({ login, address }) {
      const k = keys(login);
      await TAKE_BACK(redis, [k.pair(address), k.failures], []);
      await TAKE_BACK(redis, [addressKey(address)], []);
    },
    async signedIn({ login, address }) {
      const k = keys(login);
      await redis.multi().del(k.pair(address), k.locked(address)).zrem(k.addresses, address).exec();
    },
    async status(login) {
      const k = keys(login);
      const addresses = await redis.zrange(k.addresses, 0, -1);
      const now = Date.now();
      const lockedAddresses = [];
      for (const address of addresses) {
        const [count, pttl] = await Promise.all([redis.get(k.pair(address)), redis.pttl(k.pair(address))]);
        if (Number(count ?? 0) >= policy.pairFailures && pttl > 0) lockedAddresses.push({ address, until: new Date(now + pttl) });
      }
      const [delay, failures] = await Promise.all([redis.pttl(k.delay), redis.get(k.failures)]);
      return { lockedAddresses, slowedUntil: delay > 0 ? new Date(now + delay) : undefined, recentFailures: Number(failures ?? 0) };
    },
    async clear(login) {
      const k = keys(login);
      const addresses = await redis.zrange(k.addresses, 0, -1);
      await redis.del(k.delay, k.failures, k.addresses, ...addresses.flatMap((address) => [k.pair(address), k.locked(address)]));
    },
  };
}

import { Redis } from 'ioredis';

import type { OneTimeClaims } from '../../../src/accounts/one-time-claims.js';
import type { SignInThrottle, ThrottlePolicy } from '../../../src/accounts/sign-in-throttle.js';
import type { ExpiringStore } from '../../../src/storage/expiring-store.js';
import { createMemoryOneTimeClaims } from '../../../src/storage/memory-account-guards.js';
import { createMemorySignInThrottle } from '../../../src/storage/memory-sign-in-throttle.js';
import { createMemoryExpiringStore } from '../../../src/storage/memory-expiring-store.js';
import { createRedisOneTimeClaims } from '../../../src/storage/redis-account-guards.js';
import { createRedisSignInThrottle } from '../../../src/storage/redis-sign-in-throttle.js';
import { createRedisExpiringStore } from '../../../src/storage/redis-expiring-store.js';
import { requireEnv, uniqueRedisPrefix } from '../../support/test-env.js';

const POLICY: ThrottlePolicy = {
  pairFailures: 4,
  pairWindowSeconds: 60,
  accountFailures: 20,
  accountWindowSeconds: 60,
  accountMaxDelaySeconds: 30,
  addressFailures: 12,
  addressWindowSeconds: 60,
};

interface Guards {
  throttle: SignInThrottle;
  claims: OneTimeClaims;
  store: ExpiringStore<{ value: string }>;
  teardown(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describeGuards(name: string, setup: () => Promise<Guards>): void {
  describe(`${name}: lockout, one-time claims and expiring records`, () => {
    let guards: Guards;
    beforeAll(async () => {
      guards = await setup();
    });
    afterAll(async () => {
      await guards.teardown();
    });

    const at = (login: string, address: string) => ({ login, address });

    it('locks a (login, address) pair after its failures, and only that pair', async () => {
      for (let i = 0; i < POLICY.pairFailures; i += 1) {
        expect(await guards.throttle.begin(at('ada@example.com', '198.51.100.1'))).toBeUndefined();
        expect((await guards.throttle.failed(at('ada@example.com', '198.51.100.1'))).pairLocked).toBe(i === POLICY.pairFailures - 1);
      }
      expect(await guards.throttle.begin(at('ada@example.com', '198.51.100.1'))).toMatchObject({ scope: 'pair', retryAfterSeconds: expect.any(Number) });
      // The owner from elsewhere, and other logins from the same address, go on.
      expect(await guards.throttle.begin(at('ada@example.com', '203.0.113.5'))).toBeUndefined();
      await guards.throttle.passed(at('ada@example.com', '203.0.113.5'));
      expect(await guards.throttle.begin(at('bob@example.com', '198.51.100.1'))).toBeUndefined();
      await guards.throttle.passed(at('bob@example.com', '198.51.100.1'));
      const status = await guards.throttle.status('ada@example.com');
      expect(status.lockedAddresses.map((entry) => entry.address)).toEqual(['198.51.100.1']);
      expect(status.lockedAddresses[0]?.until.getTime()).toBeGreaterThan(Date.now());
    });

    it('counts a concurrent burst exactly: no more checks pass than the pair allows', async () => {
      const verdicts = await Promise.all(Array.from({ length: 30 }, () => guards.throttle.begin(at('burst@example.com', '198.51.100.2'))));
      expect(verdicts.filter((verdict) => verdict === undefined)).toHaveLength(POLICY.pairFailures);
      // Of the failures that follow at once, exactly one is reported as the one that locked the pair.
      const outcomes = await Promise.all(Array.from({ length: POLICY.pairFailures }, () => guards.throttle.failed(at('burst@example.com', '198.51.100.2'))));
      expect(outcomes.filter((outcome) => outcome.pairLocked)).toHaveLength(1);
    });

    it('slows a login failing from many addresses with a growing delay, not a lock', async () => {
      const delays: number[] = [];
      for (let i = 0; i < POLICY.accountFailures + 2; i += 1) {
        const attempt = at('spread@example.com', `192.0.2.${i + 1}`);
        expect(await guards.throttle.begin(attempt)).toBeUndefined();
        delays.push((await guards.throttle.failed(attempt)).delaySeconds);
        // A delay refuses every address until it has passed; then counting goes on.
        const delay = delays.at(-1) ?? 0;
        if (delay > 0) {
          expect(await guards.throttle.begin(at('spread@example.com', '192.0.2.200'))).toMatchObject({ scope: 'account', retryAfterSeconds: delay });
          expect((await guards.throttle.status('spread@example.com')).slowedUntil).toBeInstanceOf(Date);
          if (i < POLICY.accountFailures + 1) await sleep(delay * 1000 + 100);
        }
      }
      expect(delays.slice(0, POLICY.accountFailures).every((delay) => delay === 0)).toBe(true);
      expect(delays.slice(POLICY.accountFailures)).toEqual([1, 2]);
    });

    it('refuses an address failing across many logins, and takes back checks that passed', async () => {
      for (let i = 0; i < POLICY.addressFailures; i += 1) {
        const attempt = at(`user${i}@example.com`, '198.51.100.9');
        expect(await guards.throttle.begin(attempt)).toBeUndefined();
        await guards.throttle.failed(attempt);
      }
      expect(await guards.throttle.begin(at('someone@example.com', '198.51.100.9'))).toMatchObject({ scope: 'address' });
      // Successes never accumulate: begin then passed leaves nothing behind.
      for (let i = 0; i < POLICY.addressFailures * 3; i += 1) {
        const attempt = at('busy@example.com', '198.51.100.10');
        expect(await guards.throttle.begin(attempt)).toBeUndefined();
        await guards.throttle.passed(attempt);
      }
    });

    it('forgets a pair after a full sign-in, and clear lifts every lock and delay of a login', async () => {
      const attempt = at('again@example.com', '198.51.100.20');
      for (let i = 0; i < POLICY.pairFailures - 1; i += 1) {
        await guards.throttle.begin(attempt);
        await guards.throttle.failed(attempt);
      }
      await guards.throttle.signedIn(attempt);
      expect(await guards.throttle.begin(attempt)).toBeUndefined();
      await guards.throttle.failed(attempt);
      for (let i = 0; i < POLICY.pairFailures; i += 1) {
        await guards.throttle.begin(attempt);
        await guards.throttle.failed(attempt);
      }
      expect(await guards.throttle.begin(attempt)).toMatchObject({ scope: 'pair' });
      await guards.throttle.clear('again@example.com');
      expect(await guards.throttle.begin(attempt)).toBeUndefined();
      expect((await guards.throttle.status('again@example.com')).lockedAddresses).toEqual([]);
    });

    it('lets exactly one of many concurrent claims win', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => guards.claims.claim('totp:acct:123', 60)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await guards.claims.claim('totp:acct:124', 60)).toBe(true);
    });

    it('keeps a record until its lifetime ends', async () => {
      await guards.store.set('uid-1', { value: 'x' }, 1);
      expect(await guards.store.get('uid-1')).toEqual({ value: 'x' });
      await guards.store.set('uid-2', { value: 'y' }, 60);
      await guards.store.delete('uid-2');
      expect(await guards.store.get('uid-2')).toBeUndefined();
      await sleep(1100);
      expect(await guards.store.get('uid-1')).toBeUndefined();
    });
  });
}

describeGuards('memory', async () => ({
  throttle: createMemorySignInThrottle(POLICY),
  claims: createMemoryOneTimeClaims(),
  store: createMemoryExpiringStore(),
  teardown: async () => undefined,
}));

describeGuards('redis', async () => {
  const redis = new Redis(requireEnv('REDIS_URL'));
  const prefix = uniqueRedisPrefix();
  return {
    throttle: createRedisSignInThrottle(redis, prefix, POLICY),
    claims: createRedisOneTimeClaims(redis, prefix),
    store: createRedisExpiringStore(redis, prefix, 'test'),
    async teardown() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
});

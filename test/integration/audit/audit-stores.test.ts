import { Redis } from 'ioredis';

import { createRedisAuditSpool } from '../../../src/audit/audit-spool.js';
import { buildAuditEvent } from '../../../src/audit/build-audit-event.js';
import { createMongoAuditStore } from '../../../src/audit/mongo-audit-store.js';
import { connectMongo } from '../../../src/storage/mongo-connection.js';
import { requireEnv, uniqueMongoUri, uniqueRedisPrefix } from '../../support/test-env.js';

describe('the Redis audit spool', () => {
  it('hands events back oldest first, as they were, until they are removed', async () => {
    const redis = new Redis(requireEnv('REDIS_URL'));
    const spool = createRedisAuditSpool(redis, `${uniqueRedisPrefix()}audit:spool`);
    try {
      const events = ['a', 'b', 'c'].map((type, i) => buildAuditEvent({ type, outcome: 'success', accountId: `acct-${i}`, details: { n: i } }, new Date(1_800_000_000_000 + i)));
      await spool.append(events);
      expect(await spool.length()).toBe(3);
      const first = await spool.read(2);
      expect(first.map((entry) => entry.event)).toEqual(events.slice(0, 2));
      expect(first[0]?.event.time).toBeInstanceOf(Date);
      await spool.remove(first.map((entry) => entry.spoolId));
      expect((await spool.read(10)).map((entry) => entry.event.type)).toEqual(['c']);
      expect(await spool.length()).toBe(1);
    } finally {
      await redis.quit();
    }
  });
});

describe('the MongoDB audit store', () => {
  it('filters by type, account, client and time (an id range), newest first', async () => {
    const connection = await connectMongo(uniqueMongoUri());
    try {
      const store = createMongoAuditStore(connection);
      await store.ensureIndexes();
      const at = (minute: number): Date => new Date(Date.UTC(2026, 10, 20, 12, minute));
      const events = [
        buildAuditEvent({ type: 'login.succeeded', outcome: 'success', accountId: 'a1', clientId: 'c1' }, at(0)),
        buildAuditEvent({ type: 'login.succeeded', outcome: 'success', accountId: 'a2', clientId: 'c1' }, at(10)),
        buildAuditEvent({ type: 'login.password_failed', outcome: 'failure', accountId: 'a1', clientId: 'c2' }, at(20)),
        buildAuditEvent({ type: 'login.succeeded', outcome: 'success', accountId: 'a1', clientId: 'c2' }, at(30)),
      ];
      await store.insertMany(events);
      const ids = (found: Awaited<ReturnType<typeof store.query>>): string[] => found.map((event) => event.id);
      expect(ids(await store.query({ limit: 10, accountId: 'a1', since: at(10) }))).toEqual([events[3]?.id, events[2]?.id]);
      expect(ids(await store.query({ limit: 10, type: 'login.succeeded', clientId: 'c1' }))).toEqual([events[1]?.id, events[0]?.id]);
      expect(ids(await store.query({ limit: 1, accountId: 'a1', before: events[3]?.id ?? '' }))).toEqual([events[2]?.id]);
    } finally {
      await connection.dropDatabase();
      await connection.close();
    }
  });

  it('treats events already stored as written, and stores the rest of the batch', async () => {
    const connection = await connectMongo(uniqueMongoUri());
    try {
      const store = createMongoAuditStore(connection);
      await store.ensureIndexes();
      const [first, second, third] = ['one', 'two', 'three'].map((type) => buildAuditEvent({ type, outcome: 'success' }));
      if (!first || !second || !third) throw new Error('events');
      await store.insertMany([first]);
      await expect(store.insertMany([second, first, third])).resolves.toBeUndefined();
      expect((await store.query({ limit: 10 })).map((event) => event.type).sort()).toEqual(['one', 'three', 'two']);
    } finally {
      await connection.dropDatabase();
      await connection.close();
    }
  });
});

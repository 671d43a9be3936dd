import type { AuditEvent, AuditStore } from '../../../src/audit/audit-event.js';
import { createAuditLog, type AuditLog } from '../../../src/audit/audit-log.js';
import type { AuditSpool, SpooledEvent } from '../../../src/audit/audit-spool.js';
import { StoreUnavailableError } from '../../../src/http/store-unavailable.js';
import { createMemoryAuditStore } from '../../../src/audit/memory-audit-store.js';
import { buildAuditEvent } from '../../../src/audit/build-audit-event.js';
import { createCapturingLogger } from '../../support/test-env.js';

const OPTIONS = { flushIntervalMs: 60_000, batchSize: 3, maxBuffered: 5 };

/** A store that can be switched off, as MongoDB going away would. */
function flakyStore(): AuditStore & { down: boolean; written: AuditEvent[] } {
  const inner = createMemoryAuditStore();
  const store = {
    down: false,
    written: [] as AuditEvent[],
    async insertMany(events: readonly AuditEvent[]) {
      if (store.down) throw new Error('connection refused');
      store.written.push(...events);
      await inner.insertMany(events);
    },
    query: inner.query,
    deleteOlderThan: inner.deleteOlderThan,
  };
  return store;
}

/** A spool in memory, for the rules of the log (the Redis one has its own contract test). */
function memorySpool(): AuditSpool & { entries: SpooledEvent[]; down: boolean } {
  let next = 0;
  const spool = {
    entries: [] as SpooledEvent[],
    down: false,
    async append(events: readonly AuditEvent[]) {
      if (spool.down) throw new Error('Connection is closed.');
      for (const event of events) spool.entries.push({ spoolId: String((next += 1)), event });
    },
    async read(limit: number) {
      return spool.entries.slice(0, limit);
    },
    async remove(ids: readonly string[]) {
      spool.entries = spool.entries.filter((entry) => !ids.includes(entry.spoolId));
    },
    async length() {
      return spool.entries.length;
    },
  };
  return spool;
}

/** Runs `work` as the audit scope middleware would around a request; resolves to what it threw. */
async function inRequest(audit: AuditLog, work: () => void): Promise<unknown> {
  const removed: string[] = [];
  const ctx = { path: '/interaction/x/second-factor', remove: (name: string) => removed.push(name) };
  try {
    await audit.requestScope()(ctx as unknown as Parameters<ReturnType<AuditLog['requestScope']>>[0], async () => work());
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('audit log', () => {
  it('logs each event at once and writes it on flush', async () => {
    const store = flakyStore();
    const { logger, lines } = createCapturingLogger();
    const audit = createAuditLog({ store, logger, options: OPTIONS, storageOf: () => 'batched' });
    audit.record({ type: 'login.succeeded', outcome: 'success', accountId: 'a1', clientId: 'c1', ip: '10.0.0.1', userAgent: 'test', requestId: 'r1' });
    expect(lines().filter((line) => line.includes('"type":"login.succeeded"'))).toHaveLength(1);
    expect(store.written).toHaveLength(0);
    await audit.flush();
    expect(store.written).toEqual([expect.objectContaining({ type: 'login.succeeded', accountId: 'a1', clientId: 'c1', ip: '10.0.0.1', requestId: 'r1' })]);
    await audit.close();
  });

  it('logs a log-only event even when LOG_LEVEL is above info: its line is its only record', async () => {
    const { logger, lines } = createCapturingLogger('warn');
    const audit = createAuditLog({ store: flakyStore(), logger, options: OPTIONS, storageOf: () => 'log' });
    audit.record({ type: 'token.issued', outcome: 'success', clientId: 'c1' });
    logger.info('not an audit line');
    expect(lines()).toEqual([expect.stringContaining('"type":"token.issued"')]);
    expect(audit.stats().byType.get('token.issued')).toBe(1);
    await audit.close();
  });

  it('writes a full batch without waiting for the timer', async () => {
    const store = flakyStore();
    const audit = createAuditLog({ store, logger: createCapturingLogger().logger, options: OPTIONS, storageOf: () => 'batched' });
    for (let i = 0; i < 3; i += 1) audit.record({ type: 'x', outcome: 'success' });
    await new Promise((resolve) => setImmediate(resolve));
    await audit.flush();
    expect(store.written).toHaveLength(3);
    await audit.close();
  });

  it('keeps events while the store is down and there is no spool, drops the oldest past the bound, counts and logs the drops', async () => {
    const store = flakyStore();
    const { logger, lines } = createCapturingLogger();
    const audit = createAuditLog({ store, logger, options: OPTIONS, storageOf: () => 'batched' });
    store.down = true;
    for (let i = 0; i < 8; i += 1) audit.record({ type: `event.${i}`, outcome: 'success' });
    await audit.flush();
    expect(audit.stats()).toMatchObject({ buffered: 5, written: 0, dropped: 3 });
    store.down = false;
    await audit.flush();
    // The first batch was in flight when the buffer overflowed (it may have reached MongoDB), so
    // the oldest of the rest were dropped instead.
    expect(store.written.map((event) => event.type)).toEqual(['event.0', 'event.1', 'event.2', 'event.6', 'event.7']);
    expect(audit.stats()).toMatchObject({ buffered: 0, written: 5, dropped: 3 });
    expect(lines().some((line) => line.includes('audit events dropped') && line.includes('"dropped":3'))).toBe(true);
    await audit.close();
  });

  it('flushes what is left on close', async () => {
    const store = flakyStore();
    const audit = createAuditLog({ store, logger: createCapturingLogger().logger, options: OPTIONS, storageOf: () => 'batched' });
    audit.record({ type: 'last', outcome: 'success' });
    await audit.close();
    expect(store.written.map((event) => event.type)).toEqual(['last']);
  });

  it('counts a batch that MongoDB applied but did not acknowledge as written, and goes on', async () => {
    const inner = createMemoryAuditStore();
    let loseNextAck = true;
    const store: AuditStore = {
      async insertMany(events) {
        await inner.insertMany(events);
        if (loseNextAck) {
          loseNextAck = false;
          throw new Error('connection reset after the write');
        }
      },
      query: inner.query,
      deleteOlderThan: inner.deleteOlderThan,
    };
    const audit = createAuditLog({ store, logger: createCapturingLogger().logger, options: OPTIONS, storageOf: () => 'batched' });
    audit.record({ type: 'first', outcome: 'success' });
    await audit.flush();
    audit.record({ type: 'second', outcome: 'success' });
    await audit.flush();
    expect((await inner.query({ limit: 10 })).map((event) => event.type).sort()).toEqual(['first', 'second']);
    expect(audit.stats()).toMatchObject({ buffered: 0, written: 2, dropped: 0 });
    await audit.close();
  });

  it('loses no event uncounted when the buffer is trimmed while a batch is being written', async () => {
    const inner = createMemoryAuditStore();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Only the first write waits; meanwhile the buffer overflows and is trimmed.
    let first = true;
    const slow: AuditStore = {
      async insertMany(events) {
        if (first) {
          first = false;
          await gate;
        }
        await inner.insertMany(events);
      },
      query: inner.query,
      deleteOlderThan: inner.deleteOlderThan,
    };
    const audit = createAuditLog({ store: slow, logger: createCapturingLogger().logger, options: OPTIONS, storageOf: () => 'batched' });
    for (let i = 0; i < 3; i += 1) audit.record({ type: `e${i}`, outcome: 'success' });
    const flushing = audit.flush();
    for (let i = 3; i < 10; i += 1) audit.record({ type: `e${i}`, outcome: 'success' });
    release();
    await flushing;
    const { written, dropped, buffered } = audit.stats();
    expect(written + dropped + buffered).toBe(10);
    expect((await inner.query({ limit: 20 })).length).toBe(written);
    await audit.close();
  });

  it('stores durable events before the request answers, spooling them while MongoDB is down', async () => {
    const store = flakyStore();
    const spool = memorySpool();
    const audit = createAuditLog({ store, spool, logger: createCapturingLogger().logger, options: OPTIONS, storageOf: () => 'durable' });
    expect(await inRequest(audit, () => audit.record({ type: 'login.succeeded', outcome: 'success' }))).toBeUndefined();
    expect(store.written.map((event) => event.type)).toEqual(['login.succeeded']);

    store.down = true;
    expect(await inRequest(audit, () => audit.record({ type: 'login.succeeded', outcome: 'success', accountId: 'a2' }))).toBeUndefined();
    expect(spool.entries.map((entry) => entry.event.accountId)).toEqual(['a2']);
    store.down = false;
    await audit.flush();
    expect(spool.entries).toEqual([]);
    expect(store.written.map((event) => event.accountId)).toEqual([null, 'a2']);
    expect(audit.stats()).toMatchObject({ written: 2, spooled: 1, dropped: 0 });
    await audit.close();
  });

  it('stores a burst of durable events in a few inserts, each request waiting for its own', async () => {
    const inner = createMemoryAuditStore();
    const inserts: number[] = [];
    let release: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => {
      release = resolve;
    });
    const store: AuditStore = {
      async insertMany(events) {
        inserts.push(events.length);
        // The first insert is slow, as MongoDB under load is: the rest of the burst queues behind it.
        if (inserts.length === 1) await firstHeld;
        await inner.insertMany(events);
      },
      query: inner.query,
      deleteOlderThan: inner.deleteOlderThan,
    };
    const audit = createAuditLog({ store, spool: memorySpool(), logger: createCapturingLogger().logger, options: OPTIONS, storageOf: () => 'durable' });
    const answered: number[] = [];
    const requests = Array.from({ length: 30 }, (_, i) => inRequest(audit, () => audit.record({ type: 'login.succeeded', outcome: 'success', accountId: `a${i}` })).then((error) => {
      expect(error).toBeUndefined();
      answered.push(i);
    }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Nobody answers before their event is stored.
    expect(answered).toEqual([]);
    release();
    await Promise.all(requests);
    expect(inserts).toEqual([1, 29]);
    expect((await inner.query({ limit: 100 })).map((event) => event.accountId).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `a${i}`).sort());
    expect(audit.stats()).toMatchObject({ written: 30, spooled: 0, dropped: 0 });
    await audit.close();
  });

  it('sends what queued behind a failing insert straight to the spool, and fails every request neither takes', async () => {
    let attempts = 0;
    let fail: () => void = () => undefined;
    let closing = false;
    const store: AuditStore = {
      async insertMany() {
        if (closing) throw new Error('connection refused');
        attempts += 1;
        // MongoDB hangs until the driver gives up: one timeout should cost one wait, not one per group.
        await new Promise<void>((_, reject) => {
          fail = () => reject(new Error('Server selection timed out after 2000 ms'));
        });
      },
      query: async () => [],
      deleteOlderThan: async () => 0,
    };
    const spool = memorySpool();
    const audit = createAuditLog({ store, spool, logger: createCapturingLogger().logger, options: OPTIONS, storageOf: () => 'durable' });
    const answers = Array.from({ length: 5 }, (_, i) => inRequest(audit, () => audit.record({ type: 't', outcome: 'success', accountId: `s${i}` })));
    await new Promise((resolve) => setTimeout(resolve, 10));
    fail();
    expect(await Promise.all(answers)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(attempts).toBe(1);
    expect(spool.entries.map((entry) => entry.event.accountId)).toEqual(['s0', 's1', 's2', 's3', 's4']);

    spool.down = true;
    const refused = Array.from({ length: 5 }, () => inRequest(audit, () => audit.record({ type: 't', outcome: 'success' })));
    await new Promise((resolve) => setTimeout(resolve, 10));
    fail();
    expect((await Promise.all(refused)).every((error) => error instanceof StoreUnavailableError)).toBe(true);
    expect(audit.stats()).toMatchObject({ written: 0, spooled: 5, dropped: 5 });
    closing = true;
    await audit.close();
  });

  it('refuses the response (503) when neither MongoDB nor the spool takes a durable event', async () => {
    const store = flakyStore();
    const spool = memorySpool();
    store.down = true;
    spool.down = true;
    const audit = createAuditLog({ store, spool, logger: createCapturingLogger().logger, options: OPTIONS, storageOf: () => 'durable' });
    expect(await inRequest(audit, () => audit.record({ type: 'login.succeeded', outcome: 'success' }))).toBeInstanceOf(StoreUnavailableError);
    expect(audit.stats().dropped).toBe(1);
    await audit.close();
  });

  it('spools at shutdown what MongoDB could not take, instead of dropping it', async () => {
    const store = flakyStore();
    const spool = memorySpool();
    const audit = createAuditLog({ store, spool, logger: createCapturingLogger().logger, options: OPTIONS, storageOf: () => 'batched' });
    store.down = true;
    for (let i = 0; i < 4; i += 1) audit.record({ type: `late.${i}`, outcome: 'success' });
    await audit.close();
    expect(spool.entries.map((entry) => entry.event.type)).toEqual(['late.0', 'late.1', 'late.2', 'late.3']);
    expect(audit.stats()).toMatchObject({ dropped: 0, spooled: 4, buffered: 0 });
  });

  it('logs and counts log-only types without storing them', async () => {
    const store = flakyStore();
    const { logger, lines } = createCapturingLogger();
    const audit = createAuditLog({ store, logger, options: OPTIONS, storageOf: (type) => (type === 'token.issued' ? 'log' : 'batched') });
    audit.record({ type: 'token.issued', outcome: 'success' });
    audit.record({ type: 'token.issued', outcome: 'success' });
    await audit.flush();
    expect(store.written).toEqual([]);
    expect(lines().filter((line) => line.includes('"type":"token.issued"'))).toHaveLength(2);
    expect(audit.stats().byType.get('token.issued')).toBe(2);
    await audit.close();
  });

  it('drops detail fields named like secrets and anything that is not a plain value', () => {
    const event = buildAuditEvent({
      type: 'x',
      outcome: 'failure',
      details: { error: 'invalid_grant', password: 'hunter2', client_secret: 's', code: '123456', refresh_token: 'rt', nested: { a: 1 }, status: 400 },
    });
    expect(event.details).toEqual({ error: 'invalid_grant', status: 400 });
  });

  it('pages newest first with time-ordered ids', async () => {
    const store = createMemoryAuditStore();
    const events = [0, 1, 2, 3].map((i) => buildAuditEvent({ type: 't', outcome: 'success' }, new Date(1_800_000_000_000 + i * 1000)));
    await store.insertMany(events);
    const first = await store.query({ limit: 2 });
    expect(first.map((event) => event.id)).toEqual([events[3]?.id, events[2]?.id]);
    const second = await store.query({ limit: 2, before: first[1]?.id });
    expect(second.map((event) => event.id)).toEqual([events[1]?.id, events[0]?.id]);
  });
});

import type { AuditEvent, AuditStore } from '../../../src/audit/audit-event.js';
import { createAuditLog } from '../../../src/audit/audit-log.js';
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

describe('audit log', () => {
  it('logs each event at once and writes it on flush', async () => {
    const store = flakyStore();
    const { logger, lines } = createCapturingLogger();
    const audit = createAuditLog({ store, logger, options: OPTIONS });
    audit.record({ type: 'login.succeeded', outcome: 'success', accountId: 'a1', clientId: 'c1', ip: '10.0.0.1', userAgent: 'test', requestId: 'r1' });
    expect(lines().filter((line) => line.includes('"type":"login.succeeded"'))).toHaveLength(1);
    expect(store.written).toHaveLength(0);
    await audit.flush();
    expect(store.written).toEqual([expect.objectContaining({ type: 'login.succeeded', accountId: 'a1', clientId: 'c1', ip: '10.0.0.1', requestId: 'r1' })]);
    await audit.close();
  });

  it('writes a full batch without waiting for the timer', async () => {
    const store = flakyStore();
    const audit = createAuditLog({ store, logger: createCapturingLogger().logger, options: OPTIONS });
    for (let i = 0; i < 3; i += 1) audit.record({ type: 'x', outcome: 'success' });
    await new Promise((resolve) => setImmediate(resolve));
    await audit.flush();
    expect(store.written).toHaveLength(3);
    await audit.close();
  });

  it('keeps events while the store is down, drops the oldest past the bound, counts and logs the drops', async () => {
    const store = flakyStore();
    const { logger, lines } = createCapturingLogger();
    const audit = createAuditLog({ store, logger, options: OPTIONS });
    store.down = true;
    for (let i = 0; i < 8; i += 1) audit.record({ type: `event.${i}`, outcome: 'success' });
    await audit.flush();
    expect(audit.stats()).toEqual({ buffered: 5, written: 0, dropped: 3 });
    store.down = false;
    await audit.flush();
    expect(store.written.map((event) => event.type)).toEqual(['event.3', 'event.4', 'event.5', 'event.6', 'event.7']);
    expect(audit.stats()).toEqual({ buffered: 0, written: 5, dropped: 3 });
    expect(lines().some((line) => line.includes('audit events dropped') && line.includes('"dropped":3'))).toBe(true);
    await audit.close();
  });

  it('flushes what is left on close', async () => {
    const store = flakyStore();
    const audit = createAuditLog({ store, logger: createCapturingLogger().logger, options: OPTIONS });
    audit.record({ type: 'last', outcome: 'success' });
    await audit.close();
    expect(store.written.map((event) => event.type)).toEqual(['last']);
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

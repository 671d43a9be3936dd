import type { Connection } from 'mongoose';

import type { AccountStore } from '../../../src/accounts/account-store.js';
import { AccountNotFoundError, EmailTakenError } from '../../../src/accounts/account-errors.js';
import { createMemoryAccountStore } from '../../../src/accounts/memory-account-store.js';
import { createMongoAccountStore } from '../../../src/accounts/mongo-account-store.js';
import { connectMongo } from '../../../src/storage/mongo-connection.js';
import { uniqueMongoUri } from '../../support/test-env.js';

function describeAccountStore(name: string, setup: () => Promise<{ store: AccountStore; teardown(): Promise<void> }>): void {
  describe(`${name} account store`, () => {
    let store: AccountStore;
    let teardown: () => Promise<void>;
    beforeAll(async () => {
      ({ store, teardown } = await setup());
    });
    afterAll(async () => {
      await teardown();
    });

    it('creates an account with a random opaque id and finds it by id and email', async () => {
      const account = await store.create({ email: 'ada@example.com', name: 'Ada', passwordHash: '$argon2id$hash' });
      expect(account.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(account).toMatchObject({ email: 'ada@example.com', status: 'active', totpSecretEncrypted: null, recoveryCodes: [], emailVerified: false });
      expect(await store.findById(account.id)).toEqual(account);
      expect(await store.findByEmail('ada@example.com')).toEqual(account);
      expect(await store.findByEmail('nobody@example.com')).toBeUndefined();
    });

    it('refuses a second account with the same email', async () => {
      await store.create({ email: 'dup@example.com', name: null, passwordHash: 'h' });
      await expect(store.create({ email: 'dup@example.com', name: null, passwordHash: 'h' })).rejects.toBeInstanceOf(EmailTakenError);
    });

    it('updates fields, keeps the rest, and moves updatedAt', async () => {
      const account = await store.create({ email: 'upd@example.com', name: 'Old', passwordHash: 'h' });
      const usedAt = new Date('2026-01-01T00:00:00Z');
      const updated = await store.update(account.id, { name: 'New', status: 'disabled', recoveryCodes: [{ hash: 'a', usedAt }, { hash: 'b', usedAt: null }] });
      expect(updated).toMatchObject({ name: 'New', status: 'disabled', email: 'upd@example.com', passwordHash: 'h' });
      expect(updated.recoveryCodes).toEqual([{ hash: 'a', usedAt }, { hash: 'b', usedAt: null }]);
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(account.updatedAt.getTime());
      expect(await store.findById(account.id)).toEqual(updated);
      await expect(store.update('missing', { name: 'x' })).rejects.toBeInstanceOf(AccountNotFoundError);
    });

    it('deletes, and says so when there is nothing to delete', async () => {
      const account = await store.create({ email: 'del@example.com', name: null, passwordHash: 'h' });
      await store.delete(account.id);
      expect(await store.findById(account.id)).toBeUndefined();
      await expect(store.delete(account.id)).rejects.toBeInstanceOf(AccountNotFoundError);
    });

    it('pages through every account exactly once', async () => {
      for (let i = 0; i < 5; i += 1) await store.create({ email: `page${i}@example.com`, name: null, passwordHash: 'h' });
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.list({ limit: 3, ...(after ? { after } : {}) });
        seen.push(...page.accounts.map((account) => account.id));
        if (!page.nextCursor) break;
        after = page.nextCursor;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBeGreaterThanOrEqual(5);
    });
  });
}

describeAccountStore('memory', async () => ({ store: createMemoryAccountStore(), teardown: async () => undefined }));

describeAccountStore('mongodb', async () => {
  const connection: Connection = await connectMongo(uniqueMongoUri());
  const store = createMongoAccountStore(connection);
  await store.ensureIndexes();
  return {
    store,
    async teardown() {
      await connection.dropDatabase();
      await connection.close();
    },
  };
});

describe('audit retention on MongoDB', () => {
  it('deletes records older than the cutoff and keeps the rest', async () => {
    const { createMongoAuditStore } = await import('../../../src/audit/mongo-audit-store.js');
    const { buildAuditEvent } = await import('../../../src/audit/build-audit-event.js');
    const connection = await connectMongo(uniqueMongoUri());
    try {
      const store = createMongoAuditStore(connection);
      await store.ensureIndexes();
      const old = buildAuditEvent({ type: 'old', outcome: 'success' }, new Date('2026-01-01T00:00:00Z'));
      const recent = buildAuditEvent({ type: 'recent', outcome: 'success', accountId: 'a1', clientId: 'c1' }, new Date('2026-11-01T00:00:00Z'));
      await store.insertMany([old, recent]);
      expect(await store.deleteOlderThan(new Date('2026-06-01T00:00:00Z'))).toBe(1);
      expect((await store.query({ limit: 10 })).map((event) => event.type)).toEqual(['recent']);
      expect(await store.query({ limit: 10, accountId: 'a1', clientId: 'c1', since: new Date('2026-10-01T00:00:00Z') })).toEqual([recent]);
    } finally {
      await connection.dropDatabase();
      await connection.close();
    }
  });
});

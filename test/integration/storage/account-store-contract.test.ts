import type { Connection } from 'mongoose';

import type { StoredPasskey } from '../../../src/accounts/account.js';
import type { AccountStore } from '../../../src/accounts/account-store.js';
import { AccountNotFoundError, EmailTakenError } from '../../../src/accounts/account-errors.js';
import { createMemoryAccountStore } from '../../../src/accounts/memory-account-store.js';
import { createMongoAccountStore } from '../../../src/accounts/mongo-account-store.js';
import { Redis } from 'ioredis';

import { createLockedAccountStore } from '../../../src/accounts/locked-account-store.js';
import { connectMongo } from '../../../src/storage/mongo-connection.js';
import { createRedisKeyedLock } from '../../../src/storage/redis-keyed-lock.js';
import { requireEnv, uniqueMongoUri, uniqueRedisPrefix } from '../../support/test-env.js';

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

    it('enrols an authenticator only while the account has none', async () => {
      const account = await store.create({ email: 'enrol@example.com', name: null, passwordHash: 'h' });
      const at = new Date('2026-02-01T00:00:00Z');
      const first = { totpSecretEncrypted: 'v2.k.first', recoveryCodes: [{ hash: 'k.a', usedAt: null }], at };
      expect(await store.enrolTotp(account.id, first)).toBe(true);
      expect(await store.enrolTotp(account.id, { ...first, totpSecretEncrypted: 'v2.k.second' })).toBe(false);
      expect(await store.findById(account.id)).toMatchObject({ totpSecretEncrypted: 'v2.k.first', totpEnrolledAt: at, recoveryCodes: [{ hash: 'k.a', usedAt: null }] });
      expect(await store.enrolTotp('missing', first)).toBe(false);
    });

    it('swaps a TOTP ciphertext only if it is still the expected one', async () => {
      const account = await store.create({ email: 'swap@example.com', name: null, passwordHash: 'h', totpSecretEncrypted: 'old' });
      expect(await store.replaceTotpCiphertext(account.id, 'other', 'new')).toBe(false);
      expect(await store.replaceTotpCiphertext(account.id, 'old', 'new')).toBe(true);
      expect((await store.findById(account.id))?.totpSecretEncrypted).toBe('new');
    });

    it('records every one of many recovery codes used at once, and each code once only', async () => {
      const codes = Array.from({ length: 10 }, (_, index) => ({ hash: `k.code${index}`, usedAt: null }));
      const account = await store.create({ email: 'codes@example.com', name: null, passwordHash: 'h', totpSecretEncrypted: 'x', recoveryCodes: codes });
      const at = new Date();
      const different = await Promise.all(codes.map((code, index) => store.useRecoveryCode(account.id, index, code.hash, at)));
      expect(different.every(Boolean)).toBe(true);
      expect((await store.findById(account.id))?.recoveryCodes.every((code) => code.usedAt !== null)).toBe(true);

      const other = await store.create({ email: 'same-code@example.com', name: null, passwordHash: 'h', totpSecretEncrypted: 'x', recoveryCodes: codes });
      const same = await Promise.all(Array.from({ length: 8 }, () => store.useRecoveryCode(other.id, 3, 'k.code3', at)));
      expect(same.filter(Boolean)).toHaveLength(1);
      expect(await store.useRecoveryCode(other.id, 4, 'k.wrong', at)).toBe(false);
    });

    it('replaces recovery codes only while the authenticator and the codes read are still there; of concurrent replacements one wins', async () => {
      const first = [{ hash: 'k.first0', usedAt: null }, { hash: 'k.first1', usedAt: null }];
      const account = await store.create({ email: 'regenerate@example.com', name: null, passwordHash: 'h', totpSecretEncrypted: 'totp', recoveryCodes: first });
      const next = (tag: string) => [{ hash: `k.${tag}0`, usedAt: null }, { hash: `k.${tag}1`, usedAt: null }];
      expect(await store.replaceRecoveryCodes(account.id, { totpSecretEncrypted: 'other', firstHash: 'k.first0' }, next('x'))).toBe(false);
      expect(await store.replaceRecoveryCodes(account.id, { totpSecretEncrypted: 'totp', firstHash: 'k.stale' }, next('x'))).toBe(false);
      expect(await store.replaceRecoveryCodes(account.id, { totpSecretEncrypted: 'totp', firstHash: null }, next('x'))).toBe(false);
      expect((await store.findById(account.id))?.recoveryCodes).toEqual(first);

      const racing = await Promise.all(['a', 'b', 'c', 'd'].map((tag) => store.replaceRecoveryCodes(account.id, { totpSecretEncrypted: 'totp', firstHash: 'k.first0' }, next(tag))));
      expect(racing.filter(Boolean)).toHaveLength(1);
      const winner = ['a', 'b', 'c', 'd'][racing.indexOf(true)] ?? '';
      expect((await store.findById(account.id))?.recoveryCodes).toEqual(next(winner));

      const none = await store.create({ email: 'no-codes@example.com', name: null, passwordHash: 'h', totpSecretEncrypted: 'totp' });
      expect(await store.replaceRecoveryCodes(none.id, { totpSecretEncrypted: 'totp', firstHash: null }, next('y'))).toBe(true);
      expect(await store.replaceRecoveryCodes('missing', { totpSecretEncrypted: 'totp', firstHash: null }, next('y'))).toBe(false);
    });

    const passkey = (id: string, name = 'Laptop'): StoredPasskey => ({
      id, publicKey: `pk-${id}`, counter: 0, transports: ['internal'], name, synced: true, createdAt: new Date('2026-03-01T00:00:00Z'), lastUsedAt: null,
    });

    it('replaces passkeys only while the TOTP and the passkeys read are still there', async () => {
      const bare = await store.create({ email: 'no-totp-passkey@example.com', name: null, passwordHash: 'h' });
      expect(await store.replacePasskeys(bare.id, { totpSecretEncrypted: 'totp', passkeys: [] }, [passkey('c0')])).toBe(false);
      const account = await store.create({ email: 'passkeys@example.com', name: null, passwordHash: 'h', totpSecretEncrypted: 'totp' });
      expect(account.passkeys).toEqual([]);
      expect(await store.replacePasskeys(account.id, { totpSecretEncrypted: 'other', passkeys: [] }, [passkey('c1')])).toBe(false);
      expect(await store.replacePasskeys(account.id, { totpSecretEncrypted: 'totp', passkeys: [] }, [passkey('c1')])).toBe(true);
      // A stale read: the list it was made from has one passkey fewer.
      expect(await store.replacePasskeys(account.id, { totpSecretEncrypted: 'totp', passkeys: [] }, [passkey('c2')])).toBe(false);
      expect(await store.replacePasskeys(account.id, { totpSecretEncrypted: 'totp', passkeys: [passkey('c1', 'Renamed')] }, [])).toBe(false);
      expect(await store.replacePasskeys(account.id, { totpSecretEncrypted: 'totp', passkeys: [passkey('c1')] }, [passkey('c1'), passkey('c2')])).toBe(true);
      expect((await store.findById(account.id))?.passkeys).toEqual([passkey('c1'), passkey('c2')]);
      // A use since the read (counter and time) refuses the change.
      const used = new Date('2026-04-01T00:00:00Z');
      expect(await store.usePasskey(account.id, 0, { credentialId: 'c1', expected: 0, counter: 0, at: used })).toBe(true);
      expect(await store.replacePasskeys(account.id, { totpSecretEncrypted: 'totp', passkeys: [passkey('c1'), passkey('c2')] }, [passkey('c2')])).toBe(false);
      expect(await store.replacePasskeys(account.id, { totpSecretEncrypted: 'totp', passkeys: [{ ...passkey('c1'), lastUsedAt: used }, passkey('c2')] }, [passkey('c2', 'Blue key')])).toBe(true);
      expect((await store.findById(account.id))?.passkeys).toEqual([passkey('c2', 'Blue key')]);
      expect(await store.replacePasskeys('missing', { totpSecretEncrypted: 'totp', passkeys: [] }, [])).toBe(false);
      expect((await store.update(account.id, { passkeys: [] })).passkeys).toEqual([]);
    });

    it('of many changes made from the same read, stores one', async () => {
      const account = await store.create({ email: 'passkey-race@example.com', name: null, passwordHash: 'h', totpSecretEncrypted: 'totp' });
      await store.replacePasskeys(account.id, { totpSecretEncrypted: 'totp', passkeys: [] }, [passkey('first')]);
      const read = (await store.findById(account.id))?.passkeys ?? [];
      const tags = ['a', 'b', 'c', 'd', 'e'];
      const racing = await Promise.all(tags.map((tag) => store.replacePasskeys(account.id, { totpSecretEncrypted: 'totp', passkeys: read }, [...read, passkey(tag)])));
      expect(racing.filter(Boolean)).toHaveLength(1);
      expect((await store.findById(account.id))?.passkeys.map((stored) => stored.id)).toEqual(['first', tags[racing.indexOf(true)]]);
    });

    it('records a passkey use only against the counter that was read; of concurrent uses one wins', async () => {
      const account = await store.create({ email: 'passkey-use@example.com', name: null, passwordHash: 'h', totpSecretEncrypted: 'totp' });
      await store.replacePasskeys(account.id, { totpSecretEncrypted: 'totp', passkeys: [] }, [passkey('u0'), passkey('u1')]);
      const at = new Date('2026-04-01T00:00:00Z');
      expect(await store.usePasskey(account.id, 1, { credentialId: 'u0', expected: 0, counter: 5, at })).toBe(false);
      expect(await store.usePasskey(account.id, 1, { credentialId: 'u1', expected: 3, counter: 5, at })).toBe(false);
      const counters = [7, 8, 9, 10];
      const racing = await Promise.all(counters.map((counter) => store.usePasskey(account.id, 1, { credentialId: 'u1', expected: 0, counter, at })));
      expect(racing.filter(Boolean)).toHaveLength(1);
      expect((await store.findById(account.id))?.passkeys[1]).toMatchObject({ id: 'u1', counter: counters[racing.indexOf(true)], lastUsedAt: at });
      // Authenticators without a counter send 0 every time: each use is recorded.
      expect(await store.usePasskey(account.id, 0, { credentialId: 'u0', expected: 0, counter: 0, at })).toBe(true);
      expect(await store.usePasskey(account.id, 0, { credentialId: 'u0', expected: 0, counter: 0, at })).toBe(true);
      expect(await store.usePasskey(account.id, 2, { credentialId: 'u0', expected: 0, counter: 0, at })).toBe(false);
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

// As the server builds it: MongoDB behind a per-account Redis lock (FerretDB needs the lock).
describeAccountStore('mongodb', async () => {
  const connection: Connection = await connectMongo(uniqueMongoUri());
  const redis = new Redis(requireEnv('REDIS_URL'));
  const mongoStore = createMongoAccountStore(connection);
  await mongoStore.ensureIndexes();
  return {
    store: createLockedAccountStore(mongoStore, createRedisKeyedLock(redis, uniqueRedisPrefix())),
    async teardown() {
      await connection.dropDatabase();
      await connection.close();
      await redis.quit();
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

import { createAccountClaimsCache } from '../../../src/accounts/account-claims-cache.js';
import type { AccountStore } from '../../../src/accounts/account-store.js';
import { createMemoryAccountStore } from '../../../src/accounts/memory-account-store.js';
import type { CacheInvalidation } from '../../../src/storage/coherent-cache.js';

/** A channel that records what it announces and delivers what "another instance" sends. */
function recordingChannel(): CacheInvalidation & { published: string[]; deliver(kind: string, id: string): void } {
  const handlers: Array<(kind: string, id: string) => void> = [];
  const published: string[] = [];
  return {
    published,
    async publish(kind, id) {
      published.push(`${kind}:${id}`);
    },
    onInvalidate: (handler) => void handlers.push(handler),
    onReset: () => undefined,
    listening: true,
    deliver: (kind, id) => handlers.forEach((handler) => handler(kind, id)),
  };
}

/** The memory store, counting the reads that reach it. */
function countingStore(): { store: AccountStore; reads: () => number } {
  const inner = createMemoryAccountStore();
  let reads = 0;
  return {
    store: { ...inner, findById: (id) => { reads += 1; return inner.findById(id); } },
    reads: () => reads,
  };
}

async function setUp() {
  const counted = countingStore();
  const channel = recordingChannel();
  const cache = createAccountClaimsCache(counted.store, { ttlSeconds: 60, maxEntries: 100, invalidation: channel });
  const account = await cache.store.create({ email: 'ada@example.com', name: 'Ada', passwordHash: 'hash', totpSecretEncrypted: null });
  channel.published.length = 0;
  return { ...counted, channel, cache, account };
}

describe('the account as tokens see it', () => {
  it('reads the store once for repeated token lookups, and carries no secrets', async () => {
    const { cache, account, reads } = await setUp();
    const first = await cache.findForTokens(account.id);
    const second = await cache.findForTokens(account.id);
    expect(reads()).toBe(1);
    expect(second).toBe(first);
    expect(first).toEqual({ id: account.id, status: 'active', email: 'ada@example.com', emailVerified: false, name: 'Ada', profile: {}, attributes: {}, updatedAt: account.updatedAt });
  });

  it('announces a created account: a lookup of its id may have been cached as no account', async () => {
    const { cache, channel } = await setUp();
    const created = await cache.store.create({ email: 'grace@example.com', name: null, passwordHash: 'hash' });
    expect(channel.published).toEqual([`Account:${created.id}`]);
  });

  it.each<[string, (store: AccountStore, id: string) => Promise<unknown>]>([
    ['update', (store, id) => store.update(id, { status: 'disabled' })],
    ['enrolTotp', (store, id) => store.enrolTotp(id, { totpSecretEncrypted: 'ciphertext', recoveryCodes: [], at: new Date() })],
    ['replaceTotpCiphertext', (store, id) => store.replaceTotpCiphertext(id, 'old', 'new')],
    ['useRecoveryCode', (store, id) => store.useRecoveryCode(id, 0, 'hash', new Date())],
    ['replaceRecoveryCodes', (store, id) => store.replaceRecoveryCodes(id, { totpSecretEncrypted: 'x', firstHash: null }, [])],
    ['delete', (store, id) => store.delete(id)],
  ])('%s evicts the account here and announces it to every instance', async (_write, write) => {
    const { cache, channel, account, reads } = await setUp();
    await cache.findForTokens(account.id);
    await write(cache.store, account.id);
    expect(channel.published).toEqual([`Account:${account.id}`]);
    await cache.findForTokens(account.id);
    expect(reads()).toBe(2);
  });

  it('sees a disabled account at once', async () => {
    const { cache, account } = await setUp();
    expect((await cache.findForTokens(account.id))?.status).toBe('active');
    await cache.store.update(account.id, { status: 'disabled' });
    expect((await cache.findForTokens(account.id))?.status).toBe('disabled');
  });

  it('evicts even when the write failed (a timed-out write may have landed)', async () => {
    const { cache, channel, reads } = await setUp();
    await expect(cache.store.update('no-such-account', { name: 'x' })).rejects.toThrow();
    expect(channel.published).toEqual(['Account:no-such-account']);
    expect(reads()).toBe(0);
  });

  it('drops an account another instance changed', async () => {
    const { cache, channel, account, reads } = await setUp();
    await cache.findForTokens(account.id);
    channel.deliver('Account', account.id);
    channel.deliver('Client', account.id);
    await cache.findForTokens(account.id);
    expect(reads()).toBe(2);
  });
});

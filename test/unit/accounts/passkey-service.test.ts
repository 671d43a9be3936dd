import type { StoredPasskey } from '../../../src/accounts/account.js';
import { createMemoryAccountStore } from '../../../src/accounts/memory-account-store.js';
import { createPasskeyChallenges } from '../../../src/accounts/passkey-challenges.js';
import { createPasskeyService, relyingPartyFor, tidyPasskeyName } from '../../../src/accounts/passkey-service.js';
import { createMemoryOneTimeClaims } from '../../../src/storage/memory-account-guards.js';
import { createMemorySignInThrottle } from '../../../src/storage/memory-sign-in-throttle.js';

const passkey = (id: string, name = 'Laptop'): StoredPasskey => ({
  id, publicKey: 'pQECAyYgASFYIA', counter: 0, transports: ['usb'], name, synced: false, createdAt: new Date('2026-03-01T00:00:00Z'), lastUsedAt: null,
});

function build(options: { issuer?: string; limit?: number } = {}) {
  const store = createMemoryAccountStore();
  const throttle = createMemorySignInThrottle({ pairFailures: 3, pairWindowSeconds: 900, accountFailures: 100, accountWindowSeconds: 3600, accountMaxDelaySeconds: 900, addressFailures: 100, addressWindowSeconds: 3600 });
  const service = createPasskeyService({
    store,
    throttle,
    claims: createMemoryOneTimeClaims(),
    challenges: createPasskeyChallenges(['cookie-key'], { lifetimeSeconds: 600 }),
    relyingParty: relyingPartyFor(options.issuer ?? 'https://id.example.com', 'Latchkey'),
    limit: options.limit ?? 10,
  });
  return { store, throttle, service };
}

async function accountWith(store: ReturnType<typeof createMemoryAccountStore>, passkeys: StoredPasskey[], totp: string | null = 'totp') {
  const account = await store.create({ email: `p${Math.random()}@example.com`, name: null, passwordHash: 'h', ...(totp ? { totpSecretEncrypted: totp } : {}) });
  if (passkeys.length > 0) await store.replacePasskeys(account.id, { totpSecretEncrypted: 'totp', passkeys: [] }, passkeys);
  const stored = await store.findById(account.id);
  if (!stored) throw new Error('account gone');
  return stored;
}

describe('passkey service', () => {
  it('binds passkeys to the issuer host name, and offers none on an IP address', () => {
    expect(relyingPartyFor('https://id.example.com/tenant', 'Latchkey')).toEqual({ id: 'id.example.com', origin: 'https://id.example.com', name: 'Latchkey' });
    expect(relyingPartyFor('http://localhost:3000', 'Latchkey')).toEqual({ id: 'localhost', origin: 'http://localhost:3000', name: 'Latchkey' });
    expect(relyingPartyFor('http://127.0.0.1:3000', 'Latchkey')).toBeUndefined();
    expect(relyingPartyFor('http://[::1]:3000', 'Latchkey')).toBeUndefined();
  });

  it('tidies names: control characters and runs of space go, the length is capped, blank is no name', () => {
    expect(tidyPasskeyName('  Blue\u0000 \t key\n')).toBe('Blue key');
    expect(tidyPasskeyName('x'.repeat(100))).toHaveLength(64);
    expect(tidyPasskeyName(' \u0007 ')).toBeUndefined();
  });

  it('asks the browser for the account\'s own passkeys only, and for none when it has none', async () => {
    const { store, service } = build();
    const account = await accountWith(store, [passkey('cred-a'), passkey('cred-b')]);
    const options = await service.signInOptions(account, 'uid-1');
    expect(options?.rpId).toBe('id.example.com');
    expect(options?.allowCredentials?.map((credential) => credential.id)).toEqual(['cred-a', 'cred-b']);
    expect(await service.signInOptions(await accountWith(store, []), 'uid-1')).toBeUndefined();
    const unavailable = build({ issuer: 'http://127.0.0.1:3000' });
    expect(await unavailable.service.signInOptions(await accountWith(unavailable.store, [passkey('cred-a')]), 'uid-1')).toBeUndefined();
  });

  it('offers registration only beside TOTP and under the limit, excluding the passkeys the account has', async () => {
    const { store, service } = build({ limit: 2 });
    expect(await service.registrationOptions(await accountWith(store, [], null), 'session')).toBeUndefined();
    const one = await accountWith(store, [passkey('cred-a')]);
    const options = await service.registrationOptions(one, 'session');
    expect(options?.excludeCredentials?.map((credential) => credential.id)).toEqual(['cred-a']);
    expect(options?.attestation).toBe('none');
    expect(Buffer.from(options?.user.id ?? '', 'base64url').toString()).toBe(one.id);
    expect(await service.registrationOptions(await accountWith(store, [passkey('cred-a'), passkey('cred-b')]), 'session')).toBeUndefined();
  });

  it('counts answers that are not a passkey of this account against the throttle, until it refuses', async () => {
    const { store, service } = build();
    const account = await accountWith(store, [passkey('cred-a')]);
    const attempt = { login: account.email, address: '192.0.2.7' };
    const foreign = JSON.stringify({ id: 'cred-z', rawId: 'cred-z', type: 'public-key', response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' }, clientExtensionResults: {} });
    const forged = foreign.replaceAll('cred-z', 'cred-a');
    expect(await service.signIn(account, attempt, 'uid', 'not json')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await service.signIn(account, attempt, 'uid', foreign)).toMatchObject({ ok: false, reason: 'invalid' });
    // Its own credential id, but nothing a key signed.
    expect(await service.signIn(account, attempt, 'uid', forged)).toMatchObject({ ok: false, reason: 'invalid', pairLocked: true });
    expect(await service.signIn(account, attempt, 'uid', forged)).toMatchObject({ ok: false, reason: 'throttled' });
    expect((await store.findById(account.id))?.passkeys[0]?.lastUsedAt).toBeNull();
  });

  it('refuses a registration answer that is malformed or was never asked for, and stores nothing', async () => {
    const { store, service } = build();
    const account = await accountWith(store, []);
    expect(await service.register(account, 'session', '{"id":1}', 'Laptop')).toEqual({ ok: false, reason: 'invalid' });
    const unasked = JSON.stringify({ id: 'cred-n', rawId: 'cred-n', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' }, clientExtensionResults: {} });
    expect(await service.register(account, 'session', unasked, 'Laptop')).toEqual({ ok: false, reason: 'invalid' });
    expect(await service.register(await accountWith(store, [], null), 'session', unasked, 'Laptop')).toEqual({ ok: false, reason: 'unavailable' });
    expect((await store.findById(account.id))?.passkeys).toEqual([]);
  });

  it('renames and removes from the list it read, and says so when that list changed meanwhile', async () => {
    const { store, service } = build();
    const account = await accountWith(store, [passkey('cred-a'), passkey('cred-b', 'Blue key')]);
    expect(await service.rename(account, 'cred-z', 'New')).toBe('missing');
    expect(await service.rename(account, 'cred-a', '   ')).toBe('invalid');
    expect(await service.rename(account, 'cred-a', 'Work laptop')).toBe('ok');
    // `account` is the read from before the rename: stale now.
    expect(await service.remove(account, 'cred-b')).toEqual({ ok: false, reason: 'changed' });
    const fresh = await store.findById(account.id);
    if (!fresh) throw new Error('account gone');
    expect(await service.remove(fresh, 'cred-b')).toMatchObject({ ok: true, passkey: { id: 'cred-b' } });
    expect(await service.remove(fresh, 'cred-z')).toEqual({ ok: false, reason: 'missing' });
    expect((await store.findById(account.id))?.passkeys.map((stored) => stored.name)).toEqual(['Work laptop']);
  });
});

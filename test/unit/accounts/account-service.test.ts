import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';

import { createAccountService } from '../../../src/accounts/account-service.js';
import { createDataCipher, DecryptionError } from '../../../src/accounts/data-cipher.js';
import type { DataKey } from '../../../src/config/app-config.js';
import { createMemoryAccountStore } from '../../../src/accounts/memory-account-store.js';
import { createPasswordHasher, type Argon2Parameters } from '../../../src/accounts/password-hasher.js';
import { createRecoveryCodes } from '../../../src/accounts/recovery-codes.js';
import { createTotp } from '../../../src/accounts/totp.js';
import { createMemoryOneTimeClaims } from '../../../src/storage/memory-account-guards.js';
import { createMemorySignInThrottle } from '../../../src/storage/memory-sign-in-throttle.js';
import { createMemoryAccountSessions, createMemoryAdapterFactory, createMemoryStorage } from '../../../src/storage/memory-adapter.js';

const PASSWORD = 'correct horse battery staple';
const ATTACKER = '198.51.100.66';
const OWNER = '203.0.113.10';
const BASE: Argon2Parameters = { memoryKiB: 19456, timeCost: 2, parallelism: 1 };

const sessionStorage = createMemoryStorage();

function build(argon2: Argon2Parameters = BASE, store = createMemoryAccountStore(), keys: readonly DataKey[] = [{ id: 'k1', key: randomBytes(32) }]) {
  return createAccountService({
    store,
    hasher: createPasswordHasher(argon2),
    cipher: createDataCipher(keys),
    totp: createTotp('Latchkey'),
    recoveryCodes: createRecoveryCodes(keys),
    throttle: createMemorySignInThrottle({ pairFailures: 5, pairWindowSeconds: 900, accountFailures: 100, accountWindowSeconds: 3600, accountMaxDelaySeconds: 900, addressFailures: 100, addressWindowSeconds: 3600 }),
    claims: createMemoryOneTimeClaims(),
    attributes: { department: { type: 'string', scope: 'organisation' } },
    sessions: createMemoryAccountSessions(sessionStorage, createMemoryAdapterFactory(sessionStorage)),
    passwordPolicy: { minLength: 12, maxLength: 1024 },
  });
}

describe('account service rules', () => {
  it('upgrades a hash made with older argon2 parameters at the next successful sign-in', async () => {
    const store = createMemoryAccountStore();
    const old = build(BASE, store);
    const { account } = await old.createAccount({ email: 'rehash@example.com', password: PASSWORD });
    const stronger = build({ ...BASE, timeCost: 3 }, store);
    expect((await stronger.checkPassword('rehash@example.com', PASSWORD, OWNER)).ok).toBe(true);
    expect((await store.findById(account.id))?.passwordHash).toMatch(/t=3/);
  });

  it('locks the (email, address) pair after five wrong passwords; the right one then waits too, elsewhere it works', async () => {
    const service = build();
    await service.createAccount({ email: 'lock@example.com', password: PASSWORD });
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await service.checkPassword('lock@example.com', 'wrong password', ATTACKER));
    expect(results.map((result) => result.ok)).toEqual([false, false, false, false, false]);
    expect(results[4]).toMatchObject({ reason: 'invalid', pairLocked: true });
    expect(await service.checkPassword('Lock@Example.com', PASSWORD, ATTACKER)).toMatchObject({ ok: false, reason: 'throttled', refusal: { scope: 'pair' } });
    expect((await service.checkPassword('lock@example.com', PASSWORD, OWNER)).ok).toBe(true);
  });

  it('counts failed second factors against the same pair', async () => {
    const service = build();
    const { account } = await service.createAccount({ email: 'codes@example.com', password: PASSWORD, withTotp: true });
    const attempt = { login: 'codes@example.com', address: ATTACKER };
    for (let i = 0; i < 5; i += 1) expect(await service.checkSecondFactor(account.id, attempt, '000000')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await service.checkSecondFactor(account.id, attempt, '000000')).toMatchObject({ ok: false, reason: 'throttled' });
    expect(await service.checkPassword('codes@example.com', PASSWORD, ATTACKER)).toMatchObject({ ok: false, reason: 'throttled' });
  });

  it('accepts a TOTP code once per time step', async () => {
    const service = build();
    const { account, totp } = await service.createAccount({ email: 'replay@example.com', password: PASSWORD, withTotp: true });
    const code = await generate({ secret: totp?.secret ?? '' });
    expect(await service.checkSecondFactor(account.id, { login: 'x', address: OWNER }, code)).toEqual({ ok: true, method: 'totp' });
    expect(await service.checkSecondFactor(account.id, { login: 'x', address: OWNER }, code)).toMatchObject({ ok: false, reason: 'replayed' });
  });

  it('treats unknown emails, malformed emails and disabled accounts like wrong passwords', async () => {
    const service = build();
    const { account } = await service.createAccount({ email: 'off@example.com', password: PASSWORD });
    await service.setStatus(account.id, 'disabled');
    expect(await service.checkPassword('nobody@example.com', PASSWORD, OWNER)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await service.checkPassword('not an email', PASSWORD, OWNER)).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await service.checkPassword('off@example.com', PASSWORD, OWNER)).toMatchObject({ ok: false, reason: 'disabled' });
  });

  it('stores the TOTP secret only as ciphertext, and enrolment needs a matching code', async () => {
    const service = build();
    const { account } = await service.createAccount({ email: 'enrol@example.com', password: PASSWORD });
    const enrolment = service.startEnrolment(account);
    expect(await service.confirmEnrolment(account.id, enrolment.secret, '000000', { login: 'x', address: OWNER })).toMatchObject({ ok: false });
    const confirmed = await service.confirmEnrolment(account.id, enrolment.secret, await generate({ secret: enrolment.secret }), { login: 'x', address: OWNER });
    expect(confirmed).toMatchObject({ ok: true, recoveryCodes: expect.any(Array) });
    const stored = await service.findById(account.id);
    expect(stored?.totpSecretEncrypted).toMatch(/^v2\.k1\./);
    expect(stored?.totpSecretEncrypted).not.toContain(enrolment.secret);
  });

  it('binds a TOTP ciphertext to its account: moved onto another account it does not open', async () => {
    const store = createMemoryAccountStore();
    const service = build(BASE, store);
    const { account: alice, totp } = await service.createAccount({ email: 'alice@example.com', password: PASSWORD, withTotp: true });
    const { account: mallory } = await service.createAccount({ email: 'mallory@example.com', password: PASSWORD, withTotp: true });
    await store.update(mallory.id, { totpSecretEncrypted: alice.totpSecretEncrypted });
    await expect(service.checkSecondFactor(mallory.id, { login: 'x', address: OWNER }, await generate({ secret: totp?.secret ?? '' }))).rejects.toBeInstanceOf(DecryptionError);
  });

  it('reads a TOTP secret stored before key ids, and reencryptSecrets moves it to the current key, bound to its account', async () => {
    const store = createMemoryAccountStore();
    const k1 = { id: 'default', key: randomBytes(32) };
    const k2 = { id: 'k2', key: randomBytes(32) };
    const before = build(BASE, store, [k1]);
    const { account } = await before.createAccount({ email: 'old@example.com', password: PASSWORD });
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    // What a release before key ids wrote: v1, no key id, purpose not bound to the account.
    const [, , iv, body] = createDataCipher([k1]).encrypt(secret, 'totp-secret').split('.');
    await store.update(account.id, { totpSecretEncrypted: `v1.${iv}.${body}`, totpEnrolledAt: new Date() });

    const rotated = build(BASE, store, [k2, k1]);
    expect(await rotated.checkSecondFactor(account.id, { login: 'x', address: OWNER }, await generate({ secret }))).toEqual({ ok: true, method: 'totp' });
    expect(await rotated.reencryptSecrets()).toMatchObject({ rewritten: 1 });
    expect((await store.findById(account.id))?.totpSecretEncrypted).toMatch(/^v2\.k2\./);
    expect(await rotated.reencryptSecrets()).toMatchObject({ rewritten: 0 });
    const onlyNew = build(BASE, store, [k2]);
    expect(await onlyNew.checkSecondFactor(account.id, { login: 'x', address: OWNER }, await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }))).toEqual({ ok: true, method: 'totp' });
  });

  it('enforces the password length policy', async () => {
    const service = build();
    await expect(service.createAccount({ email: 'short@example.com', password: 'short' })).rejects.toThrow('at least 12');
  });

  it('of recovery codes regenerated at once, stores and returns exactly one set, and none after a reset made meanwhile', async () => {
    const store = createMemoryAccountStore();
    const service = build(BASE, store);
    const { account } = await service.createAccount({ email: 'regenerate@example.com', password: PASSWORD, withTotp: true });
    const sets = await Promise.all([0, 1, 2, 3].map(() => service.regenerateRecoveryCodes(account.id)));
    const returned = sets.filter((set): set is string[] => set !== undefined);
    expect(returned).toHaveLength(1);
    const winner = returned[0] ?? [];
    expect((await store.findById(account.id))?.recoveryCodes).toHaveLength(winner.length);
    // The returned set is the stored one: its code passes as a second factor.
    expect(await service.confirmSecondFactor(account.id, winner[0] ?? '', OWNER)).toBe(true);

    // An administrator's reset between the read and the write wins: no codes for an account without an authenticator.
    const racing = service.regenerateRecoveryCodes(account.id);
    await service.resetTotp(account.id);
    expect(await racing).toBeUndefined();
    expect((await store.findById(account.id))?.recoveryCodes).toEqual([]);
  });

  it('refuses new recovery codes asked for with a code checked against a set another tab has replaced since', async () => {
    const store = createMemoryAccountStore();
    const service = build(BASE, store);
    const { account } = await service.createAccount({ email: 'two-tabs@example.com', password: PASSWORD, withTotp: true });
    const [first = '', second = ''] = (await service.regenerateRecoveryCodes(account.id)) ?? [];
    // Each tab read the account, then checked its own (valid) code of that set.
    const seen = await store.findById(account.id);
    if (!seen) throw new Error('no account');
    expect(await service.confirmSecondFactor(account.id, first, OWNER)).toBe(true);
    expect(await service.confirmSecondFactor(account.id, second, OWNER)).toBe(true);
    // The first tab stores and shows its set; the second, asking after that, gets nothing.
    const shown = await service.regenerateRecoveryCodes(account.id, seen);
    expect(shown).toHaveLength(10);
    expect(await service.regenerateRecoveryCodes(account.id, seen)).toBeUndefined();
    // The set shown is the set that works.
    expect(await service.confirmSecondFactor(account.id, shown?.[0] ?? '', OWNER)).toBe(true);
  });
});

import { createPasskeyChallenges, type ChallengeBinding } from '../../../src/accounts/passkey-challenges.js';

const binding: ChallengeBinding = { ceremony: 'sign-in', accountId: 'acct-1', context: 'interaction-1' };
const encode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

describe('passkey challenges', () => {
  it('opens a challenge for the binding it was issued for, with a nonce of its own each time', () => {
    const challenges = createPasskeyChallenges(['cookie-key-one'], { lifetimeSeconds: 600 });
    const first = challenges.open(encode(challenges.issue(binding)), binding);
    const second = challenges.open(encode(challenges.issue(binding)), binding);
    expect(first?.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(second?.nonce).not.toBe(first?.nonce);
    expect(first?.expiresAt).toBeGreaterThan(Date.now() + 590_000);
  });

  it('refuses it for another ceremony, account or page', () => {
    const challenges = createPasskeyChallenges(['cookie-key-one'], { lifetimeSeconds: 600 });
    const challenge = encode(challenges.issue(binding));
    expect(challenges.open(challenge, { ...binding, ceremony: 'register' })).toBeUndefined();
    expect(challenges.open(challenge, { ...binding, accountId: 'acct-2' })).toBeUndefined();
    expect(challenges.open(challenge, { ...binding, context: 'interaction-2' })).toBeUndefined();
  });

  it('refuses one that has expired, was altered, or was never issued', () => {
    let now = Date.parse('2026-11-26T12:00:00Z');
    const challenges = createPasskeyChallenges(['cookie-key-one'], { lifetimeSeconds: 600, now: () => now });
    const bytes = challenges.issue(binding);
    const altered = Buffer.from(bytes);
    altered[5] = (altered[5] ?? 0) ^ 1;
    expect(challenges.open(encode(altered), binding)).toBeUndefined();
    expect(challenges.open('', binding)).toBeUndefined();
    expect(challenges.open('not a challenge at all', binding)).toBeUndefined();
    expect(challenges.open(encode(bytes.slice(0, 20)), binding)).toBeUndefined();
    now += 599_000;
    expect(challenges.open(encode(bytes), binding)).toBeDefined();
    now += 1_000;
    expect(challenges.open(encode(bytes), binding)).toBeUndefined();
  });

  it('accepts one issued under an older cookie key while that key is listed, and not after', () => {
    const before = createPasskeyChallenges(['old-key'], { lifetimeSeconds: 600 });
    const challenge = encode(before.issue(binding));
    expect(createPasskeyChallenges(['new-key', 'old-key'], { lifetimeSeconds: 600 }).open(challenge, binding)).toBeDefined();
    expect(createPasskeyChallenges(['new-key'], { lifetimeSeconds: 600 }).open(challenge, binding)).toBeUndefined();
  });
});

import argon2 from 'argon2';
import bcrypt from 'bcryptjs';

import { createPasswordHasher, isSupportedPasswordHash, NO_PASSWORD } from '../../../src/accounts/password-hasher.js';

const OWASP_MINIMUM = { memoryKiB: 19456, timeCost: 2, parallelism: 1 };

describe('password hasher', () => {
  const hasher = createPasswordHasher(OWASP_MINIMUM);

  it('stores argon2id hashes with the configured parameters and a random salt', async () => {
    const first = await hasher.hash('correct horse battery staple');
    const second = await hasher.hash('correct horse battery staple');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(first).not.toBe(second);
  });

  it('verifies the right password only', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify(hash, 'correct horse battery staple')).toEqual({ valid: true, needsRehash: false });
    expect(await hasher.verify(hash, 'Correct horse battery staple')).toEqual({ valid: false, needsRehash: false });
  });

  it('runs no more argon2 computations at once than its concurrency, the others in the order asked', async () => {
    // A hash three times as costly as the others, asked for first: run side by side (as with a
    // higher concurrency, the control below) the cheap ones finish before it; one at a time, after.
    const slow = await argon2.hash('correct horse battery staple', { type: argon2.argon2id, memoryCost: 19456, timeCost: 6, parallelism: 1 });
    const fast = await hasher.hash('correct horse battery staple');
    const finishingOrder = async (concurrency: number): Promise<string[]> => {
      const limited = createPasswordHasher(OWASP_MINIMUM, concurrency);
      const finished: string[] = [];
      await Promise.all([
        limited.verify(slow, 'correct horse battery staple').then(() => finished.push('slow')),
        ...[1, 2, 3].map((n) => limited.verify(fast, 'correct horse battery staple').then(() => finished.push(`fast ${n}`))),
      ]);
      return finished;
    };
    expect(await finishingOrder(1)).toEqual(['slow', 'fast 1', 'fast 2', 'fast 3']);
    expect((await finishingOrder(4)).indexOf('slow')).toBeGreaterThan(0);
  });

  it('asks for a rehash when the parameters have changed since the hash was made', async () => {
    const stronger = createPasswordHasher({ ...OWASP_MINIMUM, timeCost: 3 });
    const hash = await hasher.hash('correct horse battery staple');
    expect(await stronger.verify(hash, 'correct horse battery staple')).toEqual({ valid: true, needsRehash: true });
    expect(await stronger.verify(hash, 'wrong')).toEqual({ valid: false, needsRehash: false });
  });

  it('verifies imported bcrypt and argon2i hashes and asks for them to be replaced by argon2id', async () => {
    const bcryptHash = await bcrypt.hash('correct horse battery staple', 4);
    expect(await hasher.verify(bcryptHash, 'correct horse battery staple')).toEqual({ valid: true, needsRehash: true });
    expect(await hasher.verify(bcryptHash, 'correct horse battery stapler')).toEqual({ valid: false, needsRehash: false });
    // bcrypt ignores what follows byte 72: such a password must not match on its prefix.
    const long = 'x'.repeat(72);
    expect(await hasher.verify(await bcrypt.hash(long, 4), `${long}and more`)).toEqual({ valid: false, needsRehash: false });
    const argon2i = await argon2.hash('correct horse battery staple', { type: argon2.argon2i });
    expect(await hasher.verify(argon2i, 'correct horse battery staple')).toEqual({ valid: true, needsRehash: true });
    expect([bcryptHash, argon2i].every(isSupportedPasswordHash)).toBe(true);
    expect(isSupportedPasswordHash('{SSHA}abcdef')).toBe(false);
  });

  it('matches nothing for an account imported without a password', async () => {
    expect(await hasher.verify(NO_PASSWORD, '')).toEqual({ valid: false, needsRehash: false });
    expect(await hasher.verify(NO_PASSWORD, 'anything')).toEqual({ valid: false, needsRehash: false });
  });

  it('treats a corrupt stored hash as a mismatch, not a crash', async () => {
    expect(await hasher.verify('not-a-hash', 'anything')).toEqual({ valid: false, needsRehash: false });
  });

  it('spends about as long on the dummy check as on a real one', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    await hasher.verifyDummy('warm-up');
    const time = async (run: () => Promise<unknown>): Promise<number> => {
      const started = process.hrtime.bigint();
      for (let i = 0; i < 5; i += 1) await run();
      return Number(process.hrtime.bigint() - started);
    };
    const real = await time(() => hasher.verify(hash, 'wrong password'));
    const dummy = await time(() => hasher.verifyDummy('wrong password'));
    // Same algorithm and parameters: within a factor of two either way, whatever the machine.
    expect(dummy / real).toBeGreaterThan(0.5);
    expect(dummy / real).toBeLessThan(2);
  });
});

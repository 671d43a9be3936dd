import argon2 from 'argon2';
import bcrypt from 'bcryptjs';

import { createPasswordHasher, isSupportedPasswordHash, NO_PASSWORD, type Argon2Computations } from '../../../src/accounts/password-hasher.js';

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
    // Computations that finish only when the test says so, counting how many are under way.
    const running: Array<{ what: string; finish: () => void }> = [];
    let most = 0;
    const started: string[] = [];
    const held = (what: string, value: unknown): Promise<never> => new Promise((resolve) => {
      started.push(what);
      running.push({ what, finish: () => resolve(value as never) });
      most = Math.max(most, running.length);
    });
    const computations: Argon2Computations = { hash: (password) => held(`hash ${password}`, 'stored'), verify: (_hash, password) => held(`verify ${password}`, true) };
    const finishOldest = async (): Promise<void> => {
      running.shift()?.finish();
      await new Promise((resolve) => setImmediate(resolve));
    };

    for (const concurrency of [1, 2]) {
      const limited = createPasswordHasher(OWASP_MINIMUM, concurrency, computations);
      started.length = 0;
      most = 0;
      const done = Promise.all([
        limited.verify('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA', 'a'),
        limited.hash('b'),
        limited.verify('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA', 'c'),
        limited.verifyDummy('d'),
      ]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(running).toHaveLength(concurrency);
      // The dummy verification first makes its dummy hash: five computations in all.
      for (let finished = 0; finished < 5; finished += 1) await finishOldest();
      await done;
      expect(most).toBe(concurrency);
      expect(started).toEqual(['verify a', 'hash b', 'verify c', 'hash latchkey-dummy-password-for-timing', 'verify d']);
    }
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

import argon2 from 'argon2';

export interface Argon2Parameters {
  readonly memoryKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

export interface PasswordCheck {
  readonly valid: boolean;
  /** The hash was made with other parameters than today's; store a fresh one. */
  readonly needsRehash: boolean;
}

/** argon2id hashing with the configured parameters. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<PasswordCheck>;
  /** Spends the same time as verify() on a hash that matches nothing: for unknown emails. */
  verifyDummy(password: string): Promise<void>;
}

export function createPasswordHasher(parameters: Argon2Parameters): PasswordHasher {
  const options = {
    type: argon2.argon2id,
    memoryCost: parameters.memoryKiB,
    timeCost: parameters.timeCost,
    parallelism: parameters.parallelism,
  } as const;
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => argon2.hash(password, options),
    async verify(hash, password) {
      let valid = false;
      try {
        valid = await argon2.verify(hash, password);
      } catch {
        // A malformed stored hash verifies nothing; it must not become a 500 on the login page.
        valid = false;
      }
      return { valid, needsRehash: valid && argon2.needsRehash(hash, options) };
    },
    async verifyDummy(password) {
      dummy ??= argon2.hash('latchkey-dummy-password-for-timing', options);
      await argon2.verify(await dummy, password).catch(() => false);
    },
  };
}

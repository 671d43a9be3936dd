import argon2 from 'argon2';
import type { HashOptions } from 'argon2';
import bcrypt from 'bcryptjs';
import pLimit from 'p-limit';

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

/**
 * Hashes Latchkey can check: its own argon2id, any argon2 variant, and bcrypt, the two kinds that
 * accounts imported from other identity providers bring. A match on anything but argon2id with
 * today's parameters asks for a rehash, so imported hashes turn into ours at their first sign-in.
 */
export function isSupportedPasswordHash(hash: string): boolean {
  return /^\$argon2(id|i|d)\$/.test(hash) || isBcrypt(hash);
}

/** bcrypt's modular-crypt forms ($2a$, $2b$, $2y$), cost and 53 characters of salt and hash. */
function isBcrypt(hash: string): boolean {
  return /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(hash);
}

/**
 * No password at all: an account imported without one. It matches nothing until the password is
 * set (by an administrator, or by the user through a reset).
 */
export const NO_PASSWORD = '';

/** argon2id hashing with the configured parameters. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<PasswordCheck>;
  /** Spends the same time as verify() on a hash that matches nothing: for unknown emails. */
  verifyDummy(password: string): Promise<void>;
}

/** The two argon2 computations: the package's by default; a test counts those under way. */
export interface Argon2Computations {
  hash(password: string, options: HashOptions): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

const ARGON2: Argon2Computations = {
  hash: (password, options) => argon2.hash(password, options),
  verify: (hash, password) => argon2.verify(hash, password),
};

/**
 * `concurrency` bounds the argon2 computations under way at once. Each runs on libuv's pool
 * (four threads): with more under way than the process has cores, they take turns on the same
 * cores and the switching costs CPU (about 15% per sign-in on one core, measured with
 * `npm run bench`). The rest wait in order, which also leaves the pool's other threads free.
 */
export function createPasswordHasher(parameters: Argon2Parameters, concurrency = 1, computations: Argon2Computations = ARGON2): PasswordHasher {
  const limit = pLimit(concurrency);
  const options: HashOptions = {
    type: argon2.argon2id,
    memoryCost: parameters.memoryKiB,
    timeCost: parameters.timeCost,
    parallelism: parameters.parallelism,
  };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => limit(() => computations.hash(password, options)),
    async verify(hash, password) {
      if (hash === NO_PASSWORD) {
        await this.verifyDummy(password);
        return { valid: false, needsRehash: false };
      }
      if (isBcrypt(hash)) {
        // bcrypt reads at most 72 bytes; longer passwords would match on their prefix alone.
        const valid = Buffer.byteLength(password) <= 72 && (await bcrypt.compare(password, hash).catch(() => false));
        return { valid, needsRehash: valid };
      }
      let valid = false;
      try {
        valid = await limit(() => computations.verify(hash, password));
      } catch {
        // A malformed stored hash verifies nothing; it must not become a 500 on the login page.
        valid = false;
      }
      return { valid, needsRehash: valid && argon2.needsRehash(hash, options) };
    },
    async verifyDummy(password) {
      dummy ??= limit(() => computations.hash('latchkey-dummy-password-for-timing', options));
      const matchesNothing = await dummy;
      await limit(() => computations.verify(matchesNothing, password)).catch(() => false);
    },
  };
}

import type { Account, AccountStatus, NewAccount } from './account.js';
import { InvalidAccountInputError, PasswordPolicyError } from './account-errors.js';
import type { AccountPage, AccountStore } from './account-store.js';
import { UNNAMED_DATA_KEY_ID } from '../config/load-config.js';
import type { DataCipher } from './data-cipher.js';
import { normaliseEmail } from './email.js';
import type { OneTimeClaims } from './one-time-claims.js';
import type { PasswordHasher } from './password-hasher.js';
import type { RecoveryCodes } from './recovery-codes.js';
import type { SignInAttempt, SignInThrottle, ThrottleStatus } from './sign-in-throttle.js';
import { countFailure, type CheckFailed, type Throttled } from './sign-in-checks.js';
import type { AccountSessions } from '../storage/account-sessions.js';
import { isTotpCodeShape, type Totp } from './totp.js';
import { isSupportedPasswordHash, NO_PASSWORD } from './password-hasher.js';
import { InvalidProfileError, mergeAttributes, mergeProfile, parseProfileInput, type AttributeDeclaration } from './profile.js';

export interface PasswordPolicy {
  readonly minLength: number;
  readonly maxLength: number;
}

export interface AccountServiceDeps {
  readonly store: AccountStore;
  readonly hasher: PasswordHasher;
  readonly cipher: DataCipher;
  readonly totp: Totp;
  readonly recoveryCodes: RecoveryCodes;
  readonly throttle: SignInThrottle;
  /** Ends an account's sessions, grants and tokens (storage/account-sessions.ts). */
  readonly sessions: AccountSessions;
  readonly claims: OneTimeClaims;
  readonly passwordPolicy: PasswordPolicy;
  /** The custom attributes an operator declared (config customClaims). */
  readonly attributes: Readonly<Record<string, AttributeDeclaration>>;
}

export type PasswordResult = { readonly ok: true; readonly account: Account } | CheckFailed<'invalid' | 'disabled'> | Throttled;

export type { CheckFailed, Throttled } from './sign-in-checks.js';

export type SecondFactorResult = { readonly ok: true; readonly method: 'totp' | 'recovery_code' } | CheckFailed<'invalid' | 'replayed'> | Throttled;

export type EnrolmentResult = { readonly ok: true; readonly recoveryCodes: string[] } | CheckFailed<'invalid' | 'already_enrolled'> | Throttled;

/**
 * The login a sign-in is counted under: the email as typed, normalised the way accounts are,
 * whether or not an account has it (so throttling never tells which accounts exist).
 */
export function toLogin(rawEmail: string): string {
  try {
    return normaliseEmail(rawEmail);
  } catch {
    return rawEmail.trim().toLowerCase().slice(0, 320);
  }
}

export interface TotpEnrolment {
  readonly secret: string;
  readonly uri: string;
}

// A TOTP ciphertext is bound to its account: copied onto another account it does not decrypt.
const totpPurpose = (accountId: string): string => `totp-secret:${accountId}`;
// What ciphertexts written before that binding (and before key ids) used.
const LEGACY_TOTP_PURPOSE = 'totp-secret';
// A code is valid for three steps (one either side of now); remembering it a little longer is enough.
const TOTP_CLAIM_SECONDS = 150;
const TOTP_REPLACEMENT_MS = 10 * 60 * 1000;
const replacementPurpose = (accountId: string): string => `totp-replacement:${accountId}`;

/** A new authenticator being set up from the account area. */
export interface TotpReplacement {
  readonly secret: string;
  readonly uri: string;
  /** The secret and its expiry, encrypted and bound to the account: the form carries it. */
  readonly pending: string;
}

/** Everything that reads or changes an account, with the password, TOTP and throttling rules. */
/** Profile input as it arrives (CLI, admin API, import file): checked against accounts/profile.ts. */
export interface ProfileChange {
  readonly profile?: unknown;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** An account from another identity provider (`users import`). */
export interface ImportedAccount extends ProfileChange {
  readonly email: string;
  readonly name?: string | null;
  readonly passwordHash?: string | null;
  readonly emailVerified?: boolean;
}

export function createAccountService(deps: AccountServiceDeps) {
  const { store, hasher, cipher, totp, recoveryCodes, throttle, claims, sessions, passwordPolicy } = deps;

  /**
   * After a change that must end what the account has open: the change is written first, so a
   * sign-in racing with it is refused by the account's new state, then every session, grant
   * and token of the account is ended, on every instance.
   */
  async function thenEndSessions<T>(change: Promise<T>, accountId: string): Promise<T> {
    const result = await change;
    await sessions.endAll(accountId);
    return result;
  }

  const failAttempt = <R extends string>(attempt: SignInAttempt, reason: R, accountId?: string): Promise<CheckFailed<R>> => countFailure(throttle, attempt, reason, accountId);

  function checkPasswordPolicy(password: string): void {
    if (password.length < passwordPolicy.minLength) {
      throw new PasswordPolicyError('min', passwordPolicy.minLength);
    }
    if (password.length > passwordPolicy.maxLength) {
      throw new PasswordPolicyError('max', passwordPolicy.maxLength);
    }
  }

  function totpSecretOf(account: Account): string | undefined {
    const ciphertext = account.totpSecretEncrypted;
    if (!ciphertext) return undefined;
    // Only ciphertexts older than key ids may lack the binding; `secrets reencrypt` adds it.
    if (cipher.keyIdOf(ciphertext) === undefined) {
      try {
        return cipher.decrypt(ciphertext, totpPurpose(account.id));
      } catch {
        return cipher.decrypt(ciphertext, LEGACY_TOTP_PURPOSE);
      }
    }
    return cipher.decrypt(ciphertext, totpPurpose(account.id));
  }

  function openPending(accountId: string, pending: string): string | undefined {
    try {
      const data = JSON.parse(cipher.decrypt(pending, replacementPurpose(accountId))) as { secret?: unknown; exp?: unknown };
      return typeof data.secret === 'string' && typeof data.exp === 'number' && data.exp > Date.now() ? data.secret : undefined;
    } catch {
      return undefined;
    }
  }

  function readProfileChange(change: ProfileChange, current: Pick<Account, 'profile' | 'attributes'>): Pick<Account, 'profile' | 'attributes'> {
    try {
      return {
        profile: change.profile === undefined ? current.profile : mergeProfile(current.profile, parseProfileInput(change.profile)),
        attributes: change.attributes === undefined ? current.attributes : mergeAttributes(current.attributes, change.attributes, deps.attributes),
      };
    } catch (error) {
      if (error instanceof InvalidProfileError) throw new InvalidAccountInputError(error.message);
      throw error;
    }
  }

  function readImport(input: ImportedAccount): NewAccount {
    const email = normaliseEmail(input.email);
    const passwordHash = input.passwordHash ?? NO_PASSWORD;
    if (passwordHash !== NO_PASSWORD && !isSupportedPasswordHash(passwordHash)) {
      throw new InvalidAccountInputError('password_hash must be an argon2 ($argon2id$, $argon2i$) or bcrypt ($2a$, $2b$, $2y$) hash');
    }
    const details = readProfileChange(input, { profile: {}, attributes: {} });
    return { email, name: input.name?.trim() || null, passwordHash, emailVerified: input.emailVerified ?? false, ...details };
  }

  async function requireAccount(id: string): Promise<Account> {
    const account = await store.findById(id);
    if (!account) throw new InvalidAccountInputError('No such account.');
    return account;
  }

  return {
    checkPasswordPolicy,
    /** The custom attributes an operator declared, for tools that parse attribute values. */
    attributeDeclarations: deps.attributes,

    async createAccount(input: { email: string; name?: string | null; password: string; withTotp?: boolean } & ProfileChange): Promise<{ account: Account; totp?: TotpEnrolment }> {
      const email = normaliseEmail(input.email);
      checkPasswordPolicy(input.password);
      const details = readProfileChange(input, { profile: {}, attributes: {} });
      const passwordHash = await hasher.hash(input.password);
      const created = await store.create({ email, name: input.name?.trim() || null, passwordHash, ...details });
      if (!input.withTotp) return { account: created };
      // The ciphertext is bound to the account id, which exists only now.
      const secret = totp.generateSecret();
      const account = await store.update(created.id, { totpSecretEncrypted: cipher.encrypt(secret, totpPurpose(created.id)), totpEnrolledAt: new Date() });
      return { account, totp: { secret, uri: totp.buildUri(secret, email) } };
    },

    /**
     * The first factor. Throttling is checked and counted first, atomically, so no burst of
     * concurrent guesses runs more password checks than the limits allow. Unknown emails, wrong
     * passwords and disabled accounts all take one argon2 verification, so the response time
     * does not tell them apart.
     */
    async checkPassword(rawEmail: string, password: string, address: string): Promise<PasswordResult> {
      const attempt = { login: toLogin(rawEmail), address };
      const refusal = await throttle.begin(attempt);
      if (refusal) return { ok: false, reason: 'throttled', refusal };
      const account = password.length <= passwordPolicy.maxLength ? await store.findByEmail(attempt.login) : undefined;
      if (!account) {
        await hasher.verifyDummy(password.slice(0, passwordPolicy.maxLength));
        return failAttempt(attempt, 'invalid');
      }
      const check = await hasher.verify(account.passwordHash, password);
      if (!check.valid) return failAttempt(attempt, 'invalid', account.id);
      await throttle.passed(attempt);
      if (account.status !== 'active') return { ok: false, reason: 'disabled', accountId: account.id };
      if (check.needsRehash) {
        await store.update(account.id, { passwordHash: await hasher.hash(password) });
      }
      return { ok: true, account };
    },

    /**
     * The second factor: a TOTP code (each time step once) or an unused recovery code. Given the
     * account a sign-in step has just read (to check it is still active), it is not read again:
     * the step claim and the recovery-code use are atomic in their stores, not in this read.
     */
    async checkSecondFactor(subject: string | Account, attempt: SignInAttempt, rawCode: string): Promise<SecondFactorResult> {
      const refusal = await throttle.begin(attempt);
      if (refusal) return { ok: false, reason: 'throttled', refusal };
      const account = typeof subject === 'string' ? await requireAccount(subject) : subject;
      const accountId = account.id;
      const code = rawCode.trim().replace(/\s/g, '');

      if (isTotpCodeShape(code)) {
        const secret = totpSecretOf(account);
        const step = secret ? await totp.verify(secret, code) : undefined;
        if (step === undefined) return failAttempt(attempt, 'invalid', accountId);
        if (!(await claims.claim(`totp:${accountId}:${step}`, TOTP_CLAIM_SECONDS))) return failAttempt(attempt, 'replayed', accountId);
        await throttle.passed(attempt);
        return { ok: true, method: 'totp' };
      }

      const hash = recoveryCodes.findUnused(account.recoveryCodes, code);
      if (!hash) return failAttempt(attempt, 'invalid', accountId);
      // The store decides who used the code: of concurrent uses exactly one is recorded.
      const index = account.recoveryCodes.findIndex((stored) => stored.hash === hash);
      if (!(await store.useRecoveryCode(accountId, index, hash, new Date()))) return failAttempt(attempt, 'replayed', accountId);
      await throttle.passed(attempt);
      return { ok: true, method: 'recovery_code' };
    },

    /** A fresh secret for first-login enrolment; nothing is stored until it is confirmed. */
    startEnrolment(account: Account): TotpEnrolment {
      const secret = totp.generateSecret();
      return { secret, uri: totp.buildUri(secret, account.email) };
    },

    /** Stores the secret once the user proves their app has it, and issues recovery codes. */
    async confirmEnrolment(accountId: string, secret: string, code: string, attempt: SignInAttempt): Promise<EnrolmentResult> {
      // A stale enrolment is refused before its code is checked, so it cannot use up a time
      // step of the authenticator the account has now.
      if ((await requireAccount(accountId)).totpSecretEncrypted) return { ok: false, reason: 'already_enrolled' };
      const refusal = await throttle.begin(attempt);
      if (refusal) return { ok: false, reason: 'throttled', refusal };
      const step = await totp.verify(secret, code.trim());
      if (step === undefined || !(await claims.claim(`totp:${accountId}:${step}`, TOTP_CLAIM_SECONDS))) return failAttempt(attempt, 'invalid', accountId);
      await throttle.passed(attempt);
      const generated = recoveryCodes.generate();
      const stored = await store.enrolTotp(accountId, { totpSecretEncrypted: cipher.encrypt(secret, totpPurpose(accountId)), recoveryCodes: generated.stored, at: new Date() });
      // Only a first authenticator is set here; replacing one is a separate, deliberate act.
      if (!stored) return { ok: false, reason: 'already_enrolled' };
      return { ok: true, recoveryCodes: generated.codes };
    },

    buildTotpUri: (secret: string, email: string): string => totp.buildUri(secret, email),

    /** Both factors passed: this (login, address) pair starts afresh. */
    async completeSignIn(attempt: SignInAttempt): Promise<void> {
      await throttle.signedIn(attempt);
    },

    /** Whether sign-ins under this email are locked from some addresses or slowed everywhere. */
    throttleStatus: (email: string): Promise<ThrottleStatus> => throttle.status(toLogin(email)),

    /** An administrator lifts every lock and delay on this email (`users unlock`). */
    unlock: (email: string): Promise<void> => throttle.clear(toLogin(email)),

    findById: (id: string) => store.findById(id),
    findByEmail: (email: string) => store.findByEmail(normaliseEmail(email)),
    list: (options: { limit: number; after?: string }): Promise<AccountPage> => store.list(options),

    /** A new password ends every session and token the account has: whoever had them must sign in again. */
    async setPassword(id: string, password: string): Promise<Account> {
      checkPasswordPolicy(password);
      const passwordHash = await hasher.hash(password);
      return thenEndSessions(store.update(id, { passwordHash }), id);
    },

    /**
     * Both factors again, for a change made from the account area: the password and a TOTP or
     * recovery code, counted by the same throttle as a sign-in (so the account area is no way
     * around the brute-force limits).
     */
    async reauthenticate(accountId: string, password: string, code: string, address: string): Promise<{ ok: true } | { ok: false; reason: 'invalid' | 'throttled' }> {
      const account = await requireAccount(accountId);
      const first = await this.checkPassword(account.email, password, address);
      if (!first.ok || first.account.id !== accountId) return { ok: false, reason: !first.ok && first.reason === 'throttled' ? 'throttled' : 'invalid' };
      const second = await this.checkSecondFactor(first.account, { login: toLogin(account.email), address }, code);
      if (!second.ok) return { ok: false, reason: second.reason === 'throttled' ? 'throttled' : 'invalid' };
      return { ok: true };
    },

    /** The owner proved the mailbox (a verification or reset link): `email_verified` becomes true. */
    async markEmailVerified(accountId: string): Promise<void> {
      await store.update(accountId, { emailVerified: true });
    },

    /** The second factor alone (TOTP or recovery code), throttled like a sign-in's. */
    async confirmSecondFactor(accountId: string, code: string, address: string): Promise<boolean> {
      const account = await requireAccount(accountId);
      return (await this.checkSecondFactor(account, { login: toLogin(account.email), address }, code)).ok;
    },

    /**
     * Starts replacing the authenticator: a new secret, handed back inside `pending` (encrypted,
     * bound to the account, valid 10 minutes) so nothing is stored until a code proves the new
     * app works. The old authenticator keeps working until then.
     */
    async beginTotpReplacement(accountId: string): Promise<TotpReplacement> {
      const account = await requireAccount(accountId);
      if (!account.totpSecretEncrypted) throw new InvalidAccountInputError('There is no authenticator to replace.');
      const secret = totp.generateSecret();
      const pending = cipher.encrypt(JSON.stringify({ secret, exp: Date.now() + TOTP_REPLACEMENT_MS }), replacementPurpose(accountId));
      return { secret, uri: totp.buildUri(secret, account.email), pending };
    },

    /** The replacement `pending` stands for, while it is still valid. */
    async openTotpReplacement(accountId: string, pending: string): Promise<TotpReplacement | undefined> {
      const account = await requireAccount(accountId);
      const secret = openPending(accountId, pending);
      return secret ? { secret, uri: totp.buildUri(secret, account.email), pending } : undefined;
    },

    /**
     * Stores the new authenticator once a code from it checks out (each time step once, as at
     * sign-in), with a compare-and-set on the old one: a reset or another replacement made
     * meanwhile wins, and this one reports 'changed'.
     */
    async completeTotpReplacement(accountId: string, pending: string, code: string, address: string): Promise<'ok' | 'invalid' | 'expired' | 'changed' | 'throttled'> {
      const secret = openPending(accountId, pending);
      if (!secret) return 'expired';
      const account = await requireAccount(accountId);
      const attempt = { login: toLogin(account.email), address };
      if (await throttle.begin(attempt)) return 'throttled';
      const step = await totp.verify(secret, code.trim().replace(/\s/g, ''));
      if (step === undefined || !(await claims.claim(`totp:${accountId}:${step}`, TOTP_CLAIM_SECONDS))) {
        await failAttempt(attempt, 'invalid', accountId);
        return 'invalid';
      }
      await throttle.passed(attempt);
      const previous = account.totpSecretEncrypted;
      if (!previous) return 'changed';
      const swapped = await store.replaceTotpCiphertext(accountId, previous, cipher.encrypt(secret, totpPurpose(accountId)));
      return swapped ? 'ok' : 'changed';
    },

    /**
     * A new set of recovery codes in place of the old ones (used or not), returned once and
     * stored hashed, by compare-and-set against the authenticator and the codes: undefined when
     * either changed meanwhile (another regeneration, a reset by an administrator), so a set that
     * is shown is always the set that works. `asChecked` is the account as the caller read it
     * before it checked the code that allows this; without it, the account as read now. Reading
     * it only here would let a second tab, whose code was checked against the old set, replace
     * the set a first tab has just shown.
     */
    async regenerateRecoveryCodes(accountId: string, asChecked?: Pick<Account, 'totpSecretEncrypted' | 'recoveryCodes'>): Promise<string[] | undefined> {
      const account = asChecked ?? (await requireAccount(accountId));
      if (!account.totpSecretEncrypted) throw new InvalidAccountInputError('Set up an authenticator first.');
      const generated = recoveryCodes.generate();
      const expected = { totpSecretEncrypted: account.totpSecretEncrypted, firstHash: account.recoveryCodes[0]?.hash ?? null };
      return (await store.replaceRecoveryCodes(accountId, expected, generated.stored)) ? generated.codes : undefined;
    },

    /** Removes every second factor (TOTP, recovery codes, passkeys) and ends every session and token: the next sign-in enrols afresh. */
    async resetTotp(id: string): Promise<Account> {
      return thenEndSessions(store.update(id, { totpSecretEncrypted: null, totpEnrolledAt: null, recoveryCodes: [], passkeys: [] }), id);
    },

    /** Disabling ends every session and token at once; enabling changes nothing else. */
    async setStatus(id: string, status: AccountStatus): Promise<Account> {
      if (status === 'active') return store.update(id, { status });
      return thenEndSessions(store.update(id, { status }), id);
    },

    /** Name, standard claims and custom attributes in one write; bad input changes nothing. */
    async updateProfile(id: string, change: ProfileChange & { name?: string | null }): Promise<Account> {
      const current = await requireAccount(id);
      const details = readProfileChange(change, current);
      return store.update(id, { ...details, ...(change.name !== undefined ? { name: change.name?.trim() || null } : {}) });
    },

    /**
     * An account brought from another identity provider: its password hash as it was (argon2 or
     * bcrypt, rehashed to argon2id at the first sign-in), or none. It has no authenticator, so
     * the first sign-in enrols one, as for any new account.
     */
    async importAccount(input: ImportedAccount): Promise<Account> {
      return store.create(readImport(input));
    },

    /** The checks importAccount makes, without writing: a whole file is checked before any row lands. */
    checkImport(input: ImportedAccount): void {
      readImport(input);
    },

    delete: (id: string): Promise<void> => thenEndSessions(store.delete(id), id),

    /** Whether a stored TOTP secret decrypts with the listed keys; undefined when none is stored. */
    async probeTotpSecret(): Promise<boolean | undefined> {
      const { accounts } = await store.list({ limit: 100 });
      const account = accounts.find((candidate) => candidate.totpSecretEncrypted);
      if (!account) return undefined;
      try {
        totpSecretOf(account);
        return true;
      } catch {
        return false;
      }
    },

    /**
     * Rewrites every TOTP secret that is not under the current DATA_ENCRYPTION_KEY (or not yet
     * bound to its account), and counts the recovery codes that still need an older key: those
     * are one-way hashes and move to the new key only when the user gets new codes.
     */
    async reencryptSecrets(): Promise<{ rewritten: number; codesByKey: Record<string, number> }> {
      let rewritten = 0;
      const codesByKey: Record<string, number> = {};
      let after: string | undefined;
      do {
        const page = await store.list({ limit: 200, ...(after ? { after } : {}) });
        for (const account of page.accounts) {
          const ciphertext = account.totpSecretEncrypted;
          if (ciphertext && !cipher.isCurrent(ciphertext)) {
            const secret = totpSecretOf(account);
            if (secret && (await store.replaceTotpCiphertext(account.id, ciphertext, cipher.encrypt(secret, totpPurpose(account.id))))) rewritten += 1;
          }
          for (const code of account.recoveryCodes) {
            if (code.usedAt !== null) continue;
            // Codes from before key ids were made by the only key there was, the unnamed one.
            const keyId = recoveryCodes.keyIdOf(code.hash) ?? UNNAMED_DATA_KEY_ID;
            codesByKey[keyId] = (codesByKey[keyId] ?? 0) + 1;
          }
        }
        after = page.nextCursor;
      } while (after);
      return { rewritten, codesByKey };
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;

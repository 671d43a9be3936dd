import type { Account, AccountPatch, NewAccount, StoredPasskey, StoredRecoveryCode } from './account.js';

export interface AccountPage {
  readonly accounts: readonly Account[];
  /** Pass back as `after` for the next page; absent on the last page. */
  readonly nextCursor?: string;
}

/**
 * Durable account storage. Emails arrive normalised; `create` fails with EmailTakenError on a
 * duplicate, `update`/`delete` with AccountNotFoundError on an unknown id.
 */
export interface AccountStore {
  create(account: NewAccount): Promise<Account>;
  findById(id: string): Promise<Account | undefined>;
  findByEmail(email: string): Promise<Account | undefined>;
  list(options: { limit: number; after?: string }): Promise<AccountPage>;
  update(id: string, patch: AccountPatch): Promise<Account>;
  /**
   * Swaps the TOTP ciphertext only if it is still `expected` (compare-and-set), so a key rotation
   * running beside a sign-in or re-enrolment never overwrites a newer secret. True if swapped.
   */
  replaceTotpCiphertext(id: string, expected: string, next: string): Promise<boolean>;
  /**
   * Stores a first authenticator and its recovery codes only if the account has none (a
   * conditional write): an enrolment started earlier can never replace a newer one. True if stored.
   */
  enrolTotp(id: string, enrolment: { totpSecretEncrypted: string; recoveryCodes: readonly StoredRecoveryCode[]; at: Date }): Promise<boolean>;
  /**
   * Marks the recovery code at `index` used only if it is still that unused code (a per-code
   * compare-and-set), so two codes used at once are both recorded and no code works twice.
   */
  useRecoveryCode(id: string, index: number, hash: string, at: Date): Promise<boolean>;
  /**
   * Replaces the recovery codes only while the account still has the authenticator and the set
   * of codes the caller read (`firstHash`: the first code's hash, unique to each set; null for
   * none). Two regenerations at once: one set is stored and shown, the other caller is told.
   */
  replaceRecoveryCodes(id: string, expected: { readonly totpSecretEncrypted: string; readonly firstHash: string | null }, next: readonly StoredRecoveryCode[]): Promise<boolean>;
  /**
   * Replaces the account's passkeys (adding, renaming or removing one) only while it still has
   * the TOTP ciphertext and exactly the passkeys the caller read, uses included: of two changes
   * made from the same read one is stored, and a use in between refuses the change.
   */
  replacePasskeys(id: string, expected: { readonly totpSecretEncrypted: string; readonly passkeys: readonly StoredPasskey[] }, next: readonly StoredPasskey[]): Promise<boolean>;
  /**
   * Records a use of the passkey at `index`: the new signature counter, only if the stored one
   * is still `expected` (compare-and-set), so of two uses racing with one counter one is refused.
   */
  usePasskey(id: string, index: number, use: { readonly credentialId: string; readonly expected: number; readonly counter: number; readonly at: Date }): Promise<boolean>;
  delete(id: string): Promise<void>;
}

import type { Account, AccountPatch, NewAccount, StoredPasskey } from './account.js';
import { buildNewAccount } from './account-id.js';
import { AccountNotFoundError, EmailTakenError } from './account-errors.js';
import type { AccountPage, AccountStore } from './account-store.js';

/** In-memory AccountStore for `npm run dev` and tests. */
export function createMemoryAccountStore(): AccountStore {
  const byId = new Map<string, Account>();
  return {
    async create(input: NewAccount) {
      if ([...byId.values()].some((account) => account.email === input.email)) throw new EmailTakenError();
      const account = buildNewAccount(input);
      byId.set(account.id, account);
      return structuredClone(account);
    },
    async findById(id) {
      const account = byId.get(id);
      return account ? structuredClone(account) : undefined;
    },
    async findByEmail(email) {
      const account = [...byId.values()].find((candidate) => candidate.email === email);
      return account ? structuredClone(account) : undefined;
    },
    async list({ limit, after }): Promise<AccountPage> {
      const sorted = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).filter((account) => !after || account.id > after);
      const page = sorted.slice(0, limit);
      const last = page.at(-1);
      return { accounts: structuredClone(page), ...(sorted.length > limit && last ? { nextCursor: last.id } : {}) };
    },
    async update(id: string, patch: AccountPatch) {
      const account = byId.get(id);
      if (!account) throw new AccountNotFoundError();
      const updated: Account = { ...account, ...patch, updatedAt: new Date() };
      byId.set(id, updated);
      return structuredClone(updated);
    },
    async enrolTotp(id, enrolment) {
      const account = byId.get(id);
      if (!account || account.totpSecretEncrypted !== null) return false;
      byId.set(id, { ...account, totpSecretEncrypted: enrolment.totpSecretEncrypted, totpEnrolledAt: enrolment.at, recoveryCodes: [...enrolment.recoveryCodes], updatedAt: enrolment.at });
      return true;
    },
    async useRecoveryCode(id, index, hash, at) {
      const account = byId.get(id);
      const code = account?.recoveryCodes[index];
      if (!account || code?.hash !== hash || code.usedAt !== null) return false;
      const recoveryCodes = account.recoveryCodes.map((stored, position) => (position === index ? { hash, usedAt: at } : stored));
      byId.set(id, { ...account, recoveryCodes, updatedAt: at });
      return true;
    },
    async replaceRecoveryCodes(id, expected, next) {
      const account = byId.get(id);
      if (!account || account.totpSecretEncrypted !== expected.totpSecretEncrypted || (account.recoveryCodes[0]?.hash ?? null) !== expected.firstHash) return false;
      byId.set(id, { ...account, recoveryCodes: [...next], updatedAt: new Date() });
      return true;
    },
    async replaceTotpCiphertext(id, expected, next) {
      const account = byId.get(id);
      if (account?.totpSecretEncrypted !== expected) return false;
      byId.set(id, { ...account, totpSecretEncrypted: next, updatedAt: new Date() });
      return true;
    },
    async replacePasskeys(id, expected, next) {
      const account = byId.get(id);
      const comparable = (passkeys: readonly StoredPasskey[]) => JSON.stringify(passkeys.map(({ id: credentialId, counter, name, lastUsedAt }) => [credentialId, counter, name, lastUsedAt]));
      if (account?.totpSecretEncrypted !== expected.totpSecretEncrypted || comparable(account.passkeys) !== comparable(expected.passkeys)) return false;
      byId.set(id, { ...account, passkeys: structuredClone([...next]), updatedAt: new Date() });
      return true;
    },
    async usePasskey(id, index, use) {
      const account = byId.get(id);
      const stored = account?.passkeys[index];
      if (!account || stored?.id !== use.credentialId || stored.counter !== use.expected) return false;
      const passkeys = account.passkeys.map((passkey, position) => (position === index ? { ...passkey, counter: use.counter, lastUsedAt: use.at } : passkey));
      byId.set(id, { ...account, passkeys });
      return true;
    },
    async delete(id) {
      if (!byId.delete(id)) throw new AccountNotFoundError();
    },
  };
}

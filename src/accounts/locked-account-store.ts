import type { AccountStore } from './account-store.js';

/** Runs one piece of work at a time per key, across every process that shares the lock store. */
export interface KeyedLock {
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
}

/**
 * Serialises the writes to each account. MongoDB makes every single-document update atomic on
 * its own, but FerretDB 1.24 (the MongoDB-protocol server the tests run on) does not: it reads,
 * changes and writes back whole documents, so concurrent updates of one account lose each
 * other's changes and conditional updates can all "win". With one writer per account at a time
 * the conditional writes the account rules rely on (enrolment only without an authenticator, a
 * recovery code used once) hold on both.
 */
export function createLockedAccountStore(inner: AccountStore, lock: KeyedLock): AccountStore {
  const serially = <T>(id: string, work: () => Promise<T>): Promise<T> => lock.withLock(`account:${id}`, work);
  return {
    create: (account) => inner.create(account),
    findById: (id) => inner.findById(id),
    findByEmail: (email) => inner.findByEmail(email),
    list: (options) => inner.list(options),
    update: (id, patch) => serially(id, () => inner.update(id, patch)),
    replaceTotpCiphertext: (id, expected, next) => serially(id, () => inner.replaceTotpCiphertext(id, expected, next)),
    enrolTotp: (id, enrolment) => serially(id, () => inner.enrolTotp(id, enrolment)),
    useRecoveryCode: (id, index, hash, at) => serially(id, () => inner.useRecoveryCode(id, index, hash, at)),
    replaceRecoveryCodes: (id, expected, next) => serially(id, () => inner.replaceRecoveryCodes(id, expected, next)),
    replacePasskeys: (id, expected, next) => serially(id, () => inner.replacePasskeys(id, expected, next)),
    usePasskey: (id, index, use) => serially(id, () => inner.usePasskey(id, index, use)),
    delete: (id) => serially(id, () => inner.delete(id)),
  };
}

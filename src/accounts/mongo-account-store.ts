import { Schema, type Connection, type Model } from 'mongoose';

import type { Account, AccountPatch, NewAccount, StoredPasskey } from './account.js';
import type { AttributeValue, Profile } from './profile.js';
import { buildNewAccount } from './account-id.js';
import { AccountNotFoundError, EmailTakenError } from './account-errors.js';
import type { AccountPage, AccountStore } from './account-store.js';

interface AccountRecord {
  _id: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  status: 'active' | 'disabled';
  profile?: Profile;
  attributes?: Record<string, AttributeValue>;
  passwordHash: string;
  totpSecretEncrypted: string | null;
  totpEnrolledAt: Date | null;
  recoveryCodes: Array<{ hash: string; usedAt: Date | null }>;
  // Absent on accounts written before passkeys existed.
  passkeys?: PasskeyRecord[];
  createdAt: Date;
  updatedAt: Date;
}

interface PasskeyRecord {
  id: string;
  publicKey: string;
  counter: number;
  transports: string[];
  name: string;
  synced: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

const passkeySchema = new Schema<PasskeyRecord>({
  id: { type: String, required: true },
  publicKey: { type: String, required: true },
  counter: { type: Number, required: true },
  transports: { type: [String], default: [] },
  name: { type: String, required: true },
  synced: { type: Boolean, required: true },
  createdAt: { type: Date, required: true },
  lastUsedAt: { type: Date, default: null },
}, { _id: false });

const toPasskeyRecord = (passkey: StoredPasskey): PasskeyRecord => ({ ...passkey, transports: [...passkey.transports] });

const accountSchema = new Schema<AccountRecord>(
  {
    _id: { type: String, required: true },
    email: { type: String, required: true },
    emailVerified: { type: Boolean, required: true, default: false },
    name: { type: String, default: null },
    status: { type: String, enum: ['active', 'disabled'], required: true, default: 'active' },
    // Validated before they get here (accounts/profile.ts); stored as given.
    profile: { type: Schema.Types.Mixed, default: () => ({}) },
    attributes: { type: Schema.Types.Mixed, default: () => ({}) },
    // '' for an account imported without a password (accounts/password-hasher.ts NO_PASSWORD)
    passwordHash: { type: String, default: '' },
    totpSecretEncrypted: { type: String, default: null },
    totpEnrolledAt: { type: Date, default: null },
    recoveryCodes: { type: [{ _id: false, hash: { type: String, required: true }, usedAt: { type: Date, default: null } }], default: [] },
    passkeys: { type: [passkeySchema], default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'accounts', minimize: false },
);
// A plain unique index: FerretDB serves unique indexes (not partial or TTL ones), MongoDB too.
accountSchema.index({ email: 1 }, { unique: true, name: 'email_unique' });

const DUPLICATE_KEY = 11000;

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === DUPLICATE_KEY;
}

function toAccount(record: AccountRecord): Account {
  return {
    id: record._id,
    email: record.email,
    emailVerified: record.emailVerified,
    name: record.name ?? null,
    status: record.status,
    profile: record.profile ?? {},
    attributes: record.attributes ?? {},
    passwordHash: record.passwordHash,
    totpSecretEncrypted: record.totpSecretEncrypted ?? null,
    totpEnrolledAt: record.totpEnrolledAt ?? null,
    recoveryCodes: (record.recoveryCodes ?? []).map((code) => ({ hash: code.hash, usedAt: code.usedAt ?? null })),
    passkeys: (record.passkeys ?? []).map((passkey) => ({ ...passkey, transports: passkey.transports ?? [], lastUsedAt: passkey.lastUsedAt ?? null })),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function modelFor(connection: Connection): Model<AccountRecord> {
  return (connection.models.Account as Model<AccountRecord> | undefined) ?? connection.model<AccountRecord>('Account', accountSchema);
}

/** MongoDB AccountStore; call `ensureIndexes` once at start so the unique email index exists. */
export function createMongoAccountStore(connection: Connection): AccountStore & { ensureIndexes(): Promise<void> } {
  const model = modelFor(connection);
  return {
    async ensureIndexes() {
      await model.createIndexes();
    },
    async create(input: NewAccount) {
      const { id, recoveryCodes, passkeys, ...fields } = buildNewAccount(input);
      const record: AccountRecord = { _id: id, ...fields, recoveryCodes: [...recoveryCodes], passkeys: passkeys.map(toPasskeyRecord) };
      try {
        await model.create(record);
      } catch (error) {
        if (isDuplicateKey(error)) throw new EmailTakenError();
        throw error;
      }
      return toAccount(record);
    },
    async findById(id) {
      const record = await model.findById(id).lean<AccountRecord>();
      return record ? toAccount(record) : undefined;
    },
    async findByEmail(email) {
      const record = await model.findOne({ email }).lean<AccountRecord>();
      return record ? toAccount(record) : undefined;
    },
    async list({ limit, after }): Promise<AccountPage> {
      const records = await model.find(after ? { _id: { $gt: after } } : {}).sort({ _id: 1 }).limit(limit + 1).lean<AccountRecord[]>();
      const page = records.slice(0, limit).map(toAccount);
      const last = page.at(-1);
      return { accounts: page, ...(records.length > limit && last ? { nextCursor: last.id } : {}) };
    },
    async update(id: string, { passkeys, ...patch }: AccountPatch) {
      const changes = { ...patch, ...(passkeys ? { passkeys: passkeys.map(toPasskeyRecord) } : {}), updatedAt: new Date() };
      const record = await model.findByIdAndUpdate(id, { $set: changes }, { returnDocument: 'after' }).lean<AccountRecord>();
      if (!record) throw new AccountNotFoundError();
      return toAccount(record);
    },
    async enrolTotp(id, enrolment) {
      const result = await model.updateOne(
        { _id: id, totpSecretEncrypted: null },
        { $set: { totpSecretEncrypted: enrolment.totpSecretEncrypted, totpEnrolledAt: enrolment.at, recoveryCodes: [...enrolment.recoveryCodes], updatedAt: enrolment.at } },
      );
      return result.modifiedCount === 1;
    },
    async useRecoveryCode(id, index, hash, at) {
      // Array-index paths rather than `$`/arrayFilters: FerretDB serves these, and MongoDB too.
      const path = `recoveryCodes.${index}`;
      const result = await model.updateOne({ _id: id, [`${path}.hash`]: hash, [`${path}.usedAt`]: null }, { $set: { [`${path}.usedAt`]: at, updatedAt: at } });
      return result.modifiedCount === 1;
    },
    async replaceRecoveryCodes(id, expected, next) {
      const codes = expected.firstHash === null ? { 'recoveryCodes.0': { $exists: false } } : { 'recoveryCodes.0.hash': expected.firstHash };
      const result = await model.updateOne({ _id: id, totpSecretEncrypted: expected.totpSecretEncrypted, ...codes }, { $set: { recoveryCodes: [...next], updatedAt: new Date() } });
      return result.modifiedCount === 1;
    },
    async replaceTotpCiphertext(id, expected, next) {
      const result = await model.updateOne({ _id: id, totpSecretEncrypted: expected }, { $set: { totpSecretEncrypted: next, updatedAt: new Date() } });
      return result.modifiedCount === 1;
    },
    async replacePasskeys(id, expected, next) {
      // Element paths and equality only: FerretDB 1.24 serves these as MongoDB does, but not
      // `$ne`/`$elemMatch` on array members or `$pull` by a member's field.
      const same: Record<string, unknown> = { [`passkeys.${expected.passkeys.length}`]: { $exists: false } };
      expected.passkeys.forEach((passkey, index) => {
        same[`passkeys.${index}.id`] = passkey.id;
        same[`passkeys.${index}.counter`] = passkey.counter;
        same[`passkeys.${index}.name`] = passkey.name;
        same[`passkeys.${index}.lastUsedAt`] = passkey.lastUsedAt;
      });
      const result = await model.updateOne(
        { _id: id, totpSecretEncrypted: expected.totpSecretEncrypted, ...same },
        { $set: { passkeys: next.map(toPasskeyRecord), updatedAt: new Date() } },
      );
      return result.matchedCount === 1;
    },
    async usePasskey(id, index, use) {
      const path = `passkeys.${index}`;
      const result = await model.updateOne(
        { _id: id, [`${path}.id`]: use.credentialId, [`${path}.counter`]: use.expected },
        { $set: { [`${path}.counter`]: use.counter, [`${path}.lastUsedAt`]: use.at } },
      );
      return result.matchedCount === 1;
    },
    async delete(id) {
      const result = await model.deleteOne({ _id: id });
      if (result.deletedCount === 0) throw new AccountNotFoundError();
    },
  };
}

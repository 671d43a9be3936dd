import { Schema, type Connection, type Model } from 'mongoose';
import type { JWK } from 'jose';

import type { SigningAlgorithm } from './key-set.js';
import type { SigningKeyStore, StoredSigningKey } from './signing-key-store.js';

interface SigningKeyDocument {
  _id: string;
  alg: SigningAlgorithm;
  privateJwkEncrypted: string;
  publicJwk: JWK;
  createdAt: Date;
  activatesAt: Date;
  deactivatesAt: Date | null;
  retiresAt: Date | null;
}

const signingKeySchema = new Schema<SigningKeyDocument>(
  {
    _id: { type: String, required: true },
    alg: { type: String, required: true },
    privateJwkEncrypted: { type: String, required: true },
    publicJwk: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    activatesAt: { type: Date, required: true },
    deactivatesAt: { type: Date, default: null },
    retiresAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'signing_keys', minimize: false },
);

interface SuccessionClaim {
  _id: string;
  at: Date;
}

const successionSchema = new Schema<SuccessionClaim>({ _id: { type: String, required: true }, at: { type: Date, required: true } }, { versionKey: false, collection: 'signing_key_successions' });

const DUPLICATE_KEY = 11000;
// A claim whose holder never finished (it crashed between claim and update) is stale after this.
const STALE_CLAIM_MS = 60_000;

function modelFor(connection: Connection): Model<SigningKeyDocument> {
  return (connection.models.SigningKey as Model<SigningKeyDocument> | undefined) ?? connection.model<SigningKeyDocument>('SigningKey', signingKeySchema);
}

function claimsFor(connection: Connection): Model<SuccessionClaim> {
  return (connection.models.SigningKeySuccession as Model<SuccessionClaim> | undefined) ?? connection.model<SuccessionClaim>('SigningKeySuccession', successionSchema);
}

function isDuplicate(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === DUPLICATE_KEY;
}

function toStored(document: SigningKeyDocument): StoredSigningKey {
  return {
    kid: document._id,
    alg: document.alg,
    privateJwkEncrypted: document.privateJwkEncrypted,
    publicJwk: document.publicJwk,
    createdAt: document.createdAt,
    activatesAt: document.activatesAt,
    deactivatesAt: document.deactivatesAt ?? null,
    retiresAt: document.retiresAt ?? null,
  };
}

/** Signing keys in MongoDB's `signing_keys` collection, one document per key (the kid is its _id). */
export function createMongoSigningKeyStore(connection: Connection): SigningKeyStore {
  const model = modelFor(connection);
  const claims = claimsFor(connection);

  /**
   * One succession per key: claimed by inserting a document with the key's id, which both
   * MongoDB and FerretDB refuse twice (FerretDB 1.24 lets two conditional updates of one document
   * both succeed, so `deactivatesAt: null` alone would not decide between two instances).
   */
  const claim = async (kid: string): Promise<boolean> => {
    try {
      await claims.create({ _id: kid, at: new Date() });
      return true;
    } catch (error) {
      if (!isDuplicate(error)) throw error;
      const held = await claims.findById(kid).lean<SuccessionClaim>();
      const key = await model.findById(kid).lean<SigningKeyDocument>();
      if (!held || !key || key.deactivatesAt !== null || Date.now() - held.at.getTime() < STALE_CLAIM_MS) return false;
      await claims.deleteOne({ _id: kid, at: held.at });
      return claim(kid);
    }
  };

  return {
    async list() {
      return (await model.find({}).lean<SigningKeyDocument[]>()).map(toStored);
    },
    async insert(key) {
      try {
        // An insert, not an upsert: of two instances creating keys at once, each kid is stored once.
        await model.create({ _id: key.kid, alg: key.alg, privateJwkEncrypted: key.privateJwkEncrypted, publicJwk: key.publicJwk, createdAt: key.createdAt, activatesAt: key.activatesAt, deactivatesAt: key.deactivatesAt, retiresAt: key.retiresAt });
        return true;
      } catch (error) {
        if (isDuplicate(error)) return false;
        throw error;
      }
    },
    async scheduleSuccession(kid, times) {
      if (!(await claim(kid))) return false;
      const result = await model.updateOne({ _id: kid, deactivatesAt: null }, { $set: { deactivatesAt: times.deactivatesAt, retiresAt: times.retiresAt } });
      return result.modifiedCount === 1;
    },
    async replaceCiphertext(kid, expected, next) {
      const result = await model.updateOne({ _id: kid, privateJwkEncrypted: expected }, { $set: { privateJwkEncrypted: next } });
      return result.modifiedCount === 1;
    },
    async remove(kid) {
      await model.deleteOne({ _id: kid });
      await claims.deleteOne({ _id: kid });
    },
  };
}

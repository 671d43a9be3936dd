import { Schema, type Connection, type Model } from 'mongoose';

import type { CanaryStore, DataKeyCanary } from './canary-store.js';

interface CanaryRecord {
  _id: string;
  ciphertext: string;
  createdAt: Date;
}

const canarySchema = new Schema<CanaryRecord>(
  { _id: { type: String, required: true }, ciphertext: { type: String, required: true }, createdAt: { type: Date, required: true } },
  { versionKey: false, collection: 'data_key_canaries' },
);

const DUPLICATE_KEY = 11000;

function modelFor(connection: Connection): Model<CanaryRecord> {
  return (connection.models.DataKeyCanary as Model<CanaryRecord> | undefined) ?? connection.model<CanaryRecord>('DataKeyCanary', canarySchema);
}

export function createMongoCanaryStore(connection: Connection): CanaryStore {
  const model = modelFor(connection);
  return {
    async list() {
      const records = await model.find({}).sort({ createdAt: 1 }).lean<CanaryRecord[]>();
      return records.map((record): DataKeyCanary => ({ keyId: record._id, ciphertext: record.ciphertext, createdAt: record.createdAt }));
    },
    async insert(canary) {
      try {
        await model.create({ _id: canary.keyId, ciphertext: canary.ciphertext, createdAt: canary.createdAt });
        return true;
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code === DUPLICATE_KEY) return false;
        throw error;
      }
    },
    async delete(keyId) {
      await model.deleteOne({ _id: keyId });
    },
  };
}

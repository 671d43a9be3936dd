import { Schema, type Connection, type Model } from 'mongoose';

import type { SettingStore } from './setting-store.js';

interface SettingRecord {
  _id: string;
  value: string;
  createdAt: Date;
}

const settingSchema = new Schema<SettingRecord>(
  { _id: { type: String, required: true }, value: { type: String, required: true }, createdAt: { type: Date, required: true } },
  { versionKey: false, collection: 'settings' },
);

const DUPLICATE_KEY = 11000;

function modelFor(connection: Connection): Model<SettingRecord> {
  return (connection.models.Setting as Model<SettingRecord> | undefined) ?? connection.model<SettingRecord>('Setting', settingSchema);
}

export function createMongoSettingStore(connection: Connection): SettingStore {
  const model = modelFor(connection);
  return {
    async getOrCreate(name, candidate) {
      const existing = await model.findById(name).lean<SettingRecord>();
      if (existing) return existing.value;
      try {
        // An insert, not an upsert: of two instances starting together exactly one wins.
        await model.create({ _id: name, value: candidate, createdAt: new Date() });
        return candidate;
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code !== DUPLICATE_KEY) throw error;
        const winner = await model.findById(name).lean<SettingRecord>();
        if (!winner) throw error;
        return winner.value;
      }
    },
    async get(name) {
      return (await model.findById(name).lean<SettingRecord>())?.value;
    },
    async replace(name, expected, next) {
      const result = await model.updateOne({ _id: name, value: expected }, { $set: { value: next } });
      return result.modifiedCount === 1;
    },
  };
}

import { Schema, type Connection, type Model } from 'mongoose';

import type { ResourceServer, ResourceStore } from './resource-server.js';

interface ResourceRecord {
  _id: string;
  scopes: string[];
  format: 'jwt' | 'opaque';
  ttlSeconds: number;
  introspectors: string[];
  createdAt: Date;
}

const resourceSchema = new Schema<ResourceRecord>(
  {
    _id: { type: String, required: true },
    scopes: { type: [String], default: [] },
    format: { type: String, enum: ['jwt', 'opaque'], required: true },
    ttlSeconds: { type: Number, required: true },
    introspectors: { type: [String], default: [] },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'resource_servers' },
);

function toResource(record: ResourceRecord): ResourceServer {
  return { identifier: record._id, scopes: record.scopes, format: record.format, ttlSeconds: record.ttlSeconds, introspectors: record.introspectors ?? [], createdAt: record.createdAt };
}

/** Resource servers in MongoDB, one document per identifier. */
export function createMongoResourceStore(connection: Connection): ResourceStore {
  const model = (connection.models.ResourceServer as Model<ResourceRecord> | undefined) ?? connection.model<ResourceRecord>('ResourceServer', resourceSchema);
  return {
    async create(resource) {
      await model.create({ _id: resource.identifier, scopes: [...resource.scopes], format: resource.format, ttlSeconds: resource.ttlSeconds, introspectors: [...resource.introspectors], createdAt: resource.createdAt });
    },
    async find(identifier) {
      const record = await model.findById(identifier).lean<ResourceRecord>();
      return record ? toResource(record) : undefined;
    },
    async list({ limit, after }) {
      const records = await model.find(after ? { _id: { $gt: after } } : {}).sort({ _id: 1 }).limit(limit + 1).lean<ResourceRecord[]>();
      const page = records.slice(0, limit).map(toResource);
      const last = page.at(-1);
      return { resources: page, ...(records.length > limit && last ? { nextCursor: last.identifier } : {}) };
    },
    async update(identifier, patch) {
      const set: Partial<ResourceRecord> = {
        ...(patch.scopes ? { scopes: [...patch.scopes] } : {}),
        ...(patch.format ? { format: patch.format } : {}),
        ...(patch.ttlSeconds ? { ttlSeconds: patch.ttlSeconds } : {}),
        ...(patch.introspectors ? { introspectors: [...patch.introspectors] } : {}),
      };
      const record = await model.findByIdAndUpdate(identifier, { $set: set }, { returnDocument: 'after' }).lean<ResourceRecord>();
      return record ? toResource(record) : undefined;
    },
    async delete(identifier) {
      const result = await model.deleteOne({ _id: identifier });
      return result.deletedCount === 1;
    },
  };
}

import { Schema, type Connection, type Model } from 'mongoose';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

import type { ClientDirectory } from '../clients/client-directory.js';
import { alreadyConsumed, noLongerExists } from './already-consumed.js';

interface DurableRecord {
  _id: string;
  payload: AdapterPayload;
  // Expiry is checked on read: FerretDB rejects TTL indexes, and the records that expire
  // (initial and registration access tokens) are few.
  expiresAt: Date | null;
  consumedAt: Date | null;
  updatedAt: Date;
}

const COLLECTIONS: Readonly<Record<string, string>> = {
  Client: 'clients',
  InitialAccessToken: 'initial_access_tokens',
  RegistrationAccessToken: 'registration_access_tokens',
};

const durableRecordSchema = new Schema<DurableRecord>(
  {
    _id: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    expiresAt: { type: Date, default: null },
    consumedAt: { type: Date, default: null },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);

function modelFor(connection: Connection, name: string): Model<DurableRecord> {
  const collection = COLLECTIONS[name];
  if (!collection) throw new Error(`no durable collection for oidc-provider model ${name}`);
  const modelName = `Oidc${name}`;
  return (connection.models[modelName] as Model<DurableRecord> | undefined)
    ?? connection.model<DurableRecord>(modelName, durableRecordSchema, collection);
}

function isLive(record: Pick<DurableRecord, 'expiresAt'>): boolean {
  return record.expiresAt === null || record.expiresAt.getTime() > Date.now();
}

function toPayload(record: Pick<DurableRecord, 'payload' | 'consumedAt'>): AdapterPayload {
  const payload = { ...record.payload };
  if (record.consumedAt) payload.consumed = Math.floor(record.consumedAt.getTime() / 1000);
  return payload;
}

class MongoAdapter implements Adapter {
  readonly #model: Model<DurableRecord>;
  readonly #name: string;

  constructor(name: string, model: Model<DurableRecord>) {
    this.#name = name;
    this.#model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const now = new Date();
    await this.#model.replaceOne(
      { _id: id },
      {
        payload,
        expiresAt: expiresIn ? new Date(now.getTime() + expiresIn * 1000) : null,
        consumedAt: null,
        updatedAt: now,
      },
      { upsert: true },
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const record = await this.#model.findById(id, { payload: 1, expiresAt: 1, consumedAt: 1 }).lean<DurableRecord>();
    if (!record || !isLive(record)) return undefined;
    return toPayload(record);
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const result = await this.#model.updateOne({ _id: id, consumedAt: null }, { $set: { consumedAt: new Date() } });
    if (result.matchedCount === 0) {
      throw (await this.#model.exists({ _id: id })) ? alreadyConsumed(this.#name) : noLongerExists(this.#name);
    }
  }

  async destroy(id: string): Promise<void> {
    await this.#model.deleteOne({ _id: id });
  }

  async revokeByGrantId(): Promise<void> {
    // Durable models never belong to a grant.
  }
}

/** oidc-provider adapter factory for the durable models (clients and registration tokens). */
export function createMongoAdapterFactory(connection: Connection): AdapterFactory {
  return (name: string) => new MongoAdapter(name, modelFor(connection, name));
}

/** Deletes expired registration tokens; run periodically because there is no TTL index. */
export async function deleteExpiredDurableRecords(connection: Connection): Promise<number> {
  let deleted = 0;
  for (const name of Object.keys(COLLECTIONS)) {
    const result = await modelFor(connection, name).deleteMany({ expiresAt: { $ne: null, $lte: new Date() } });
    deleted += result.deletedCount;
  }
  return deleted;
}

/**
 * Rewrites one string field of the payload of every record of a durable model for which
 * `rewrite` returns a new value; each write applies only if the field still holds what was
 * read (compare-and-set), so a change made meanwhile is never overwritten. Returns the count.
 */
export async function rewriteDurableField(connection: Connection, name: string, field: string, rewrite: (id: string, value: string) => string | undefined): Promise<number> {
  const model = modelFor(connection, name);
  const path = `payload.${field}`;
  let rewritten = 0;
  for await (const record of model.find({ [path]: { $type: 'string' } }, { payload: 1 }).lean<DurableRecord>().cursor()) {
    const value = record.payload[field];
    const next = typeof value === 'string' ? rewrite(record._id, value) : undefined;
    if (next === undefined) continue;
    const result = await model.updateOne({ _id: record._id, [path]: value }, { $set: { [path]: next, updatedAt: new Date() } });
    rewritten += result.modifiedCount;
  }
  return rewritten;
}

/** Lists stored client metadata by id, for admin tools; expired records are skipped. */
export function createMongoClientDirectory(connection: Connection, strip: (payload: AdapterPayload) => AdapterPayload): ClientDirectory {
  const model = modelFor(connection, 'Client');
  return {
    async list({ limit, after }) {
      const records = await model
        .find(after ? { _id: { $gt: after } } : {}, { payload: 1, expiresAt: 1 })
        .sort({ _id: 1 })
        .limit(limit + 1)
        .lean<DurableRecord[]>();
      const page = records.slice(0, limit);
      const last = page.at(-1);
      return {
        clients: page.filter(isLive).map((record) => strip(record.payload)),
        ...(records.length > limit && last ? { nextCursor: last._id } : {}),
      };
    },
  };
}

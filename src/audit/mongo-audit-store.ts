import { Schema, type Connection, type Model } from 'mongoose';

import type { AuditEvent, AuditQuery, AuditStore } from './audit-event.js';

interface AuditRecord extends Omit<AuditEvent, 'id'> {
  _id: string;
}

const auditSchema = new Schema<AuditRecord>(
  {
    _id: { type: String, required: true },
    type: { type: String, required: true },
    time: { type: Date, required: true },
    outcome: { type: String, required: true },
    accountId: { type: String, default: null },
    clientId: { type: String, default: null },
    ip: { type: String, default: null },
    userAgent: { type: String, default: null },
    requestId: { type: String, default: null },
    details: { type: Schema.Types.Mixed, default: {} },
  },
  { versionKey: false, minimize: false, collection: 'audit_events' },
);
// Plain indexes: retention is a periodic delete, not a TTL index (FerretDB rejects those).
auditSchema.index({ time: 1 }, { name: 'time' });
auditSchema.index({ type: 1, _id: -1 }, { name: 'type_id' });

const DUPLICATE_KEY = 11000;

function onlyDuplicates(error: unknown): boolean {
  const { code, writeErrors } = error as { code?: unknown; writeErrors?: unknown };
  if (Array.isArray(writeErrors) && writeErrors.length > 0) return writeErrors.every((entry: { code?: unknown }) => entry.code === DUPLICATE_KEY);
  return code === DUPLICATE_KEY;
}

function toEvent(record: AuditRecord): AuditEvent {
  const { _id, ...rest } = record;
  return { id: _id, ...rest, details: rest.details ?? {} };
}

/** Audit events in MongoDB, newest first by their time-ordered ids. */
export function createMongoAuditStore(connection: Connection): AuditStore & { ensureIndexes(): Promise<void> } {
  const model = (connection.models.AuditEvent as Model<AuditRecord> | undefined) ?? connection.model<AuditRecord>('AuditEvent', auditSchema);
  return {
    async ensureIndexes() {
      await model.createIndexes();
    },
    async insertMany(events) {
      try {
        const records: AuditRecord[] = events.map(({ id, ...rest }) => ({ _id: id, ...rest }));
        // The driver types _id as ObjectId by default; ours are strings (time-ordered event ids).
        await model.collection.insertMany(records as unknown as Parameters<typeof model.collection.insertMany>[0], { ordered: false });
      } catch (error) {
        // An event already stored (a retry after a lost acknowledgement, or another instance
        // draining the same spool entry) is written: the rest of the batch went in regardless.
        if (!onlyDuplicates(error)) throw error;
      }
    },
    async query(query: AuditQuery) {
      const filter: Record<string, unknown> = {};
      if (query.type) filter.type = query.type;
      if (query.accountId) filter.accountId = query.accountId;
      if (query.clientId) filter.clientId = query.clientId;
      if (query.since) filter.time = { $gte: query.since };
      if (query.before) filter._id = { $lt: query.before };
      const records = await model.find(filter).sort({ _id: -1 }).limit(query.limit).lean<AuditRecord[]>();
      return records.map(toEvent);
    },
    async deleteOlderThan(cutoff) {
      const result = await model.deleteMany({ time: { $lt: cutoff } });
      return result.deletedCount;
    },
  };
}

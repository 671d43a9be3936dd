import { Schema, type Connection, type Model } from 'mongoose';

import { AuditQueryTimeoutError, type AuditEvent, type AuditQuery, type AuditStore } from './audit-event.js';
import { auditIdPrefix } from './build-audit-event.js';

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
// Plain indexes (FerretDB rejects TTL and partial ones): one per filter the admin API and CLI
// offer, each ending in _id so that newest-first pages come straight off the index on MongoDB.
// Time ranges are _id ranges (ids begin with their time). `time` serves the retention delete.
auditSchema.index({ time: 1 }, { name: 'time' });
auditSchema.index({ type: 1, _id: -1 }, { name: 'type_id' });
auditSchema.index({ accountId: 1, _id: -1 }, { name: 'account_id' });
auditSchema.index({ clientId: 1, _id: -1 }, { name: 'client_id' });

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

const MAX_TIME_MS_EXPIRED = 50;

/** Audit events in MongoDB, newest first; queries give up after `queryTimeoutMs` on the server. */
export function createMongoAuditStore(connection: Connection, options: { queryTimeoutMs?: number } = {}): AuditStore & { ensureIndexes(): Promise<void> } {
  const maxTimeMS = options.queryTimeoutMs ?? 2000;
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
      const idRange: Record<string, string> = {};
      if (query.since) idRange.$gte = auditIdPrefix(query.since);
      if (query.before) idRange.$lt = query.before;
      if (Object.keys(idRange).length > 0) filter._id = idRange;
      try {
        const records = await model.collection
          .find(filter, { sort: { _id: -1 }, limit: query.limit, maxTimeMS, ...(query.signal ? { signal: query.signal } : {}) })
          .toArray();
        // The records are what insertMany stored; the driver only does not know their shape.
        return (records as unknown as AuditRecord[]).map(toEvent);
      } catch (error) {
        if ((error as { code?: unknown }).code === MAX_TIME_MS_EXPIRED) throw new AuditQueryTimeoutError();
        throw error;
      }
    },
    async deleteOlderThan(cutoff) {
      const result = await model.deleteMany({ time: { $lt: cutoff } });
      return result.deletedCount;
    },
  };
}

import type { AuditEvent, AuditStore } from './audit-event.js';
import { auditIdPrefix } from './build-audit-event.js';

/** In-memory AuditStore for `npm run dev` and tests. */
export function createMemoryAuditStore(): AuditStore {
  let events: AuditEvent[] = [];
  return {
    async insertMany(batch) {
      // As in MongoDB, an event already stored (same id) is not stored twice.
      const stored = new Set(events.map((event) => event.id));
      events.push(...structuredClone(batch.filter((event) => !stored.has(event.id))));
    },
    async query(query) {
      return structuredClone(
        events
          .filter((event) => (!query.type || event.type === query.type)
            && (!query.accountId || event.accountId === query.accountId)
            && (!query.clientId || event.clientId === query.clientId)
            && (!query.since || event.id >= auditIdPrefix(query.since))
            && (!query.before || event.id < query.before))
          .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
          .slice(0, query.limit),
      );
    },
    async deleteOlderThan(cutoff) {
      const before = events.length;
      events = events.filter((event) => event.time >= cutoff);
      return before - events.length;
    },
  };
}

/**
 * How an audit event type is kept:
 * - durable: in MongoDB (or, while it is unavailable, the Redis spool) before the response goes out;
 * - batched: in MongoDB within a second or so, in the background;
 * - log: only as a log line and a counter on /metrics.
 */
export type AuditStorage = 'durable' | 'batched' | 'log';

export const AUDIT_STORAGE_CLASSES = ['durable', 'batched', 'log'] as const;

/** The storage of each type from config (`audit.storage`): the type itself, else `*`. */
export function createStoragePolicy(storage: Readonly<Record<string, AuditStorage>>): (type: string) => AuditStorage {
  const fallback = storage['*'] ?? 'durable';
  return (type) => storage[type] ?? fallback;
}

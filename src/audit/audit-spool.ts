
import type { RedisClient } from '../storage/redis-connection.js';
import type { AuditEvent } from './audit-event.js';

/** An audit event waiting in the spool, under the spool's own id. */
export interface SpooledEvent {
  readonly spoolId: string;
  readonly event: AuditEvent;
}

/**
 * Where audit events wait when MongoDB cannot take them: durable beyond this process, shared
 * by every instance, drained into MongoDB by whichever instance gets there first (event ids
 * make a second insert of the same event harmless).
 */
export interface AuditSpool {
  append(events: readonly AuditEvent[]): Promise<void>;
  /** The oldest events, up to `limit`. */
  read(limit: number): Promise<SpooledEvent[]>;
  remove(spoolIds: readonly string[]): Promise<void>;
  length(): Promise<number>;
}

type Stored = Omit<AuditEvent, 'time'> & { time: string };

function toEvent(json: string): AuditEvent {
  const stored = JSON.parse(json) as Stored;
  return { ...stored, time: new Date(stored.time) };
}

/** The spool as a RedisClient stream (XADD to append, XRANGE and XDEL to drain). */
export function createRedisAuditSpool(redis: RedisClient, key: string): AuditSpool {
  return {
    async append(events) {
      if (events.length === 0) return;
      const pipeline = redis.multi();
      for (const event of events) pipeline.xadd(key, '*', 'e', JSON.stringify(event));
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('audit spool write failed');
    },
    async read(limit) {
      const entries = await redis.xrange(key, '-', '+', 'COUNT', limit);
      return entries.flatMap(([spoolId, fields]) => {
        const json = fields[fields.indexOf('e') + 1];
        return json === undefined ? [] : [{ spoolId, event: toEvent(json) }];
      });
    },
    async remove(spoolIds) {
      if (spoolIds.length > 0) await redis.xdel(key, ...spoolIds);
    },
    length: () => redis.xlen(key),
  };
}

import type { Logger } from '../logging/create-logger.js';
import type { AuditEvent, AuditInput, AuditStore } from './audit-event.js';
import { buildAuditEvent } from './build-audit-event.js';
import { errorMessage } from '../logging/error-message.js';

export interface AuditLogOptions {
  readonly flushIntervalMs: number;
  readonly batchSize: number;
  /** Events kept while MongoDB is unreachable; beyond this the oldest are dropped and counted. */
  readonly maxBuffered: number;
}

export interface AuditStats {
  readonly buffered: number;
  readonly written: number;
  readonly dropped: number;
}

/** Records audit events without making the request wait for MongoDB. */
export interface AuditLog {
  record(input: AuditInput): void;
  flush(): Promise<void>;
  stats(): AuditStats;
  close(): Promise<void>;
}

/**
 * Each event is logged at once and written to the store in batches, in the background. A
 * failed batch goes back to the buffer; the buffer is bounded, and what it has to drop is
 * counted, logged and exposed in stats().
 */
export function createAuditLog(deps: { store: AuditStore; logger: Logger; options: AuditLogOptions }): AuditLog {
  const { store, logger, options } = deps;
  let buffer: AuditEvent[] = [];
  let written = 0;
  let dropped = 0;
  let droppedReported = 0;
  let flushing: Promise<void> | undefined;

  async function flushOnce(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.slice(0, options.batchSize);
      try {
        await store.insertMany(batch);
      } catch (error) {
        logger.warn({ err: { message: errorMessage(error) }, buffered: buffer.length }, 'audit write failed; keeping events to retry');
        return;
      }
      buffer = buffer.slice(batch.length);
      written += batch.length;
    }
    if (dropped > droppedReported) {
      logger.error({ dropped: dropped - droppedReported, droppedTotal: dropped }, 'audit events dropped while the store was unavailable');
      droppedReported = dropped;
    }
  }

  function flush(): Promise<void> {
    flushing ??= flushOnce().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  const timer = setInterval(() => void flush(), options.flushIntervalMs);
  timer.unref();

  return {
    record(input) {
      const event = buildAuditEvent(input);
      logger.info({ audit: { ...event, time: event.time.toISOString() } }, 'audit');
      buffer.push(event);
      if (buffer.length > options.maxBuffered) {
        const excess = buffer.length - options.maxBuffered;
        buffer = buffer.slice(excess);
        dropped += excess;
      }
      if (buffer.length >= options.batchSize) void flush();
    },
    flush,
    stats: () => ({ buffered: buffer.length, written, dropped }),
    async close() {
      clearInterval(timer);
      await flush();
      if (buffer.length > 0) logger.error({ lost: buffer.length }, 'audit events not written before shutdown');
    },
  };
}

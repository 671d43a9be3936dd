import { AsyncLocalStorage } from 'node:async_hooks';
import type { Middleware } from 'koa';

import { StoreUnavailableError } from '../http/store-unavailable.js';
import { auditLineLogger, type Logger } from '../logging/create-logger.js';
import { errorMessage } from '../logging/error-message.js';
import { loggedPath } from '../logging/logged-path.js';
import type { AuditEvent, AuditInput, AuditStore } from './audit-event.js';
import type { AuditSpool } from './audit-spool.js';
import type { AuditStorage } from './audit-storage-policy.js';
import { buildAuditEvent } from './build-audit-event.js';

export interface AuditLogOptions {
  readonly flushIntervalMs: number;
  readonly batchSize: number;
  /** Batched events kept while MongoDB is unreachable and there is no spool; beyond this they are dropped and counted. */
  readonly maxBuffered: number;
}

export interface AuditStats {
  readonly buffered: number;
  /** Events stored in MongoDB by this process (directly or drained from the spool). */
  readonly written: number;
  /** Events put in the spool by this process because MongoDB could not take them. */
  readonly spooled: number;
  /** Events lost (logged, never stored): only without a spool, or for events MongoDB refuses. */
  readonly dropped: number;
  /** Events recorded by type, stored or not. */
  readonly byType: ReadonlyMap<string, number>;
}

export interface AuditLog {
  /** Logs the event at once and stores it as its type's storage class says. */
  record(input: AuditInput): void;
  /**
   * Middleware: a response waits until the durable events recorded while handling it are
   * stored (in MongoDB, or the spool); if neither can take them the request answers 503.
   */
  requestScope(): Middleware;
  /** Writes batched events and drains the spool. */
  flush(): Promise<void>;
  stats(): AuditStats;
  spoolLength(): Promise<number>;
  close(): Promise<void>;
}

export interface AuditLogDeps {
  readonly store: AuditStore;
  /** Absent only for a process without Redis (development); durable events then fail loudly. */
  readonly spool?: AuditSpool | undefined;
  readonly logger: Logger;
  readonly options: AuditLogOptions;
  readonly storageOf: (type: string) => AuditStorage;
}

const DRAIN_BATCH = 100;
// The most durable events one insert takes; a larger burst goes in several.
const DURABLE_GROUP_MAX = 500;

interface DurableEntry {
  readonly event: AuditEvent;
  readonly settle: (error?: Error) => void;
}

function settleAll(entries: readonly DurableEntry[], error?: Error): void {
  for (const entry of entries) entry.settle(error);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error('audit write failed');
}

/**
 * The audit trail. Every event is one log line. Security events are durable before the request
 * answers: written to MongoDB, or if it cannot take them to the Redis spool, from which any
 * instance drains them later; so neither a SIGKILL right after the response nor a MongoDB outage
 * at shutdown loses them. Bulk events are batched in the background. A write that MongoDB
 * applied twice (a retry after a lost acknowledgement) counts as written, never as a failure.
 */
export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const { store, spool, logger, options } = deps;
  const auditLines = auditLineLogger(logger);
  // Each entry settles to the error of a failed durable write, or undefined: never rejects, so a
  // failure is not an unhandled rejection while the request is still running.
  const scope = new AsyncLocalStorage<Array<Promise<unknown>>>();
  let buffer: AuditEvent[] = [];
  let written = 0;
  let spooled = 0;
  let dropped = 0;
  let droppedReported = 0;
  const byType = new Map<string, number>();
  const unscoped = new Set<Promise<void>>();
  let flushing: Promise<void> | undefined;

  // Durable events are group-committed: while one insert is in flight, the events recorded
  // meanwhile wait and then go in one insert together, so a burst costs a few round trips rather
  // than one each; every request still waits until its own events are stored.
  let durableQueue: DurableEntry[] = [];
  let durableRunning = false;

  async function runDurableGroups(): Promise<void> {
    durableRunning = true;
    while (durableQueue.length > 0) {
      let group = durableQueue.slice(0, DURABLE_GROUP_MAX);
      durableQueue = durableQueue.slice(group.length);
      try {
        await store.insertMany(group.map((entry) => entry.event));
        written += group.length;
        settleAll(group);
        continue;
      } catch (error) {
        if (!spool) {
          settleAll(group, asError(error));
          continue;
        }
        logger.warn({ err: { message: errorMessage(error) }, events: group.length }, 'audit store unavailable; spooling the events');
      }
      // MongoDB just failed: what queued meanwhile would wait out another timeout on it, so it
      // goes to the spool with this group and its requests answer now.
      group = [...group, ...durableQueue];
      durableQueue = [];
      try {
        await spool.append(group.map((entry) => entry.event));
        spooled += group.length;
        settleAll(group);
      } catch (error) {
        settleAll(group, asError(error));
      }
    }
    durableRunning = false;
  }

  function writeDurably(event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      durableQueue.push({ event, settle: (error) => (error ? reject(error) : resolve()) });
      if (!durableRunning) void runDurableGroups();
    });
  }

  // The batch being written: an overflow while it is in flight trims other events, never these.
  let inFlight = new Set<AuditEvent>();

  async function writeBuffer(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.slice(0, options.batchSize);
      inFlight = new Set(batch);
      try {
        await store.insertMany(batch);
      } catch (error) {
        logger.warn({ err: { message: errorMessage(error) }, buffered: buffer.length }, 'audit write failed; keeping events to retry');
        return;
      } finally {
        inFlight = new Set();
      }
      // Events arrived (and others were trimmed) meanwhile: remove exactly what was written.
      const sent = new Set(batch);
      buffer = buffer.filter((event) => !sent.has(event));
      written += batch.length;
    }
  }

  /** The oldest events beyond the bound, leaving the batch in flight alone. */
  function takeOverflow(): AuditEvent[] {
    let excess = buffer.length - options.maxBuffered;
    const overflow: AuditEvent[] = [];
    buffer = buffer.filter((event) => {
      if (excess > 0 && !inFlight.has(event)) {
        overflow.push(event);
        excess -= 1;
        return false;
      }
      return true;
    });
    return overflow;
  }

  async function drainSpool(): Promise<void> {
    if (!spool) return;
    for (;;) {
      let entries;
      try {
        entries = await spool.read(DRAIN_BATCH);
        if (entries.length === 0) return;
        await store.insertMany(entries.map((entry) => entry.event));
        await spool.remove(entries.map((entry) => entry.spoolId));
      } catch (error) {
        logger.warn({ err: { message: errorMessage(error) } }, 'audit spool not drained yet; will retry');
        return;
      }
      written += entries.length;
    }
  }

  async function flushOnce(): Promise<void> {
    await writeBuffer();
    await drainSpool();
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

  function track(write: Promise<void>, event: AuditEvent): void {
    const pending = scope.getStore();
    if (pending) {
      pending.push(write.then(() => undefined, (error: unknown) => error ?? new Error('audit write failed')));
      return;
    }
    // Outside a request (CLI, background provider events): kept until it settles, for close().
    const settled = write.catch((error: unknown) => {
      dropped += 1;
      logger.error({ err: { message: errorMessage(error) }, eventId: event.id, type: event.type }, 'audit event could not be stored');
    }).finally(() => unscoped.delete(settled));
    unscoped.add(settled);
  }

  return {
    record(input) {
      const event = buildAuditEvent(input);
      auditLines.info({ audit: { ...event, time: event.time.toISOString() } }, 'audit');
      byType.set(event.type, (byType.get(event.type) ?? 0) + 1);
      const storage = deps.storageOf(event.type);
      if (storage === 'log') return;
      if (storage === 'durable') {
        track(writeDurably(event), event);
        return;
      }
      buffer.push(event);
      if (buffer.length > options.maxBuffered) {
        // The oldest overflow goes to the spool while there is one; only without it is it lost (and counted).
        const overflow = takeOverflow();
        if (spool) {
          void spool.append(overflow).then(
            () => {
              spooled += overflow.length;
            },
            () => {
              dropped += overflow.length;
            },
          );
        } else {
          dropped += overflow.length;
        }
      }
      if (buffer.length >= options.batchSize) void flush();
    },

    requestScope() {
      return async function awaitDurableAudit(ctx, next) {
        const pending: Array<Promise<unknown>> = [];
        await scope.run(pending, next);
        if (pending.length === 0) return;
        const failures = (await Promise.all(pending)).filter((error) => error !== undefined);
        if (failures.length === 0) return;
        dropped += failures.length;
        logger.error({ err: { message: errorMessage(failures[0]) }, path: loggedPath(ctx.path) }, 'audit events could not be stored; refusing the response');
        // Nothing the handler decided (a redirect with a code, say) goes out unrecorded.
        ctx.remove('Location');
        throw new StoreUnavailableError();
      };
    },

    flush,

    stats: () => ({ buffered: buffer.length, written, spooled, dropped, byType }),

    spoolLength: async () => (spool ? spool.length() : 0),

    async close() {
      clearInterval(timer);
      await Promise.allSettled([...unscoped]);
      await flush();
      if (buffer.length === 0) return;
      // MongoDB is unavailable at shutdown: what is left goes to the spool, not away.
      if (spool) {
        try {
          await spool.append(buffer);
          spooled += buffer.length;
          logger.warn({ spooled: buffer.length }, 'audit events spooled at shutdown; another instance or the next start stores them');
          buffer = [];
          return;
        } catch (error) {
          logger.error({ err: { message: errorMessage(error) } }, 'audit spool unavailable at shutdown');
        }
      }
      dropped += buffer.length;
      logger.error({ lost: buffer.length }, 'audit events not written before shutdown');
      buffer = [];
    },
  };
}

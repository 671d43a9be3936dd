
import type { RedisClient } from './redis-connection.js';
import type { Logger } from '../logging/create-logger.js';
import type { CacheInvalidation } from './coherent-cache.js';

/**
 * Cache invalidation across instances over RedisClient pub/sub; the subscriber needs its own
 * connection. Pub/sub does not keep messages for a subscriber that is away, so when the
 * subscription is lost the caches drop everything (onReset) and cache nothing while
 * `listening` is false, and drop again once it is back.
 */
export async function createRedisInvalidation(
  redis: RedisClient,
  channel: string,
  logger: Logger,
): Promise<CacheInvalidation & { close(): Promise<void> }> {
  const publisher = createRedisInvalidationPublisher(redis, channel);
  const subscriber = redis.duplicate();
  const handlers: Array<(kind: string, id: string) => void> = [];
  const resets: Array<() => void> = [];
  let listening = false;
  let closing = false;
  subscriber.on('message', (_channel: string, message: string) => {
    const separator = message.indexOf(':');
    if (separator <= 0) return;
    const kind = message.slice(0, separator);
    const id = message.slice(separator + 1);
    for (const handler of handlers) handler(kind, id);
  });
  subscriber.on('error', (error: Error) => logger.warn({ err: { message: error.message } }, 'redis subscriber error'));
  // Commands are not queued while disconnected (see connectRedis), so connect before subscribing.
  if (subscriber.status === 'wait') await subscriber.connect();
  await subscriber.subscribe(channel);
  listening = true;
  // Lost: whatever changes now is not heard, so nothing cached can be trusted, nor cached anew.
  subscriber.on('close', () => {
    if (!listening) return;
    listening = false;
    for (const reset of resets) reset();
  });
  // Registered once subscribed: the first 'ready' is the start, not a return.
  subscriber.on('ready', () => {
    if (listening || closing) return;
    // Subscribed again (ioredis resubscribes too; this one we can wait for), then everything
    // cached while messages could not arrive is dropped.
    subscriber.subscribe(channel).then(() => {
      listening = true;
      for (const reset of resets) reset();
      logger.info({ channel }, 'cache invalidation listening again; caches dropped');
    }).catch((error: unknown) => logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'cache invalidation could not resubscribe'));
  });
  return {
    publish: (kind, id) => publisher.publish(kind, id),
    onInvalidate(handler) {
      handlers.push(handler);
    },
    onReset(handler) {
      resets.push(handler);
    },
    get listening() {
      return listening;
    },
    async close() {
      closing = true;
      await subscriber.quit();
    },
  };
}

/**
 * Announces changes without listening, for a process that caches nothing (the CLI): its writes
 * evict the record on every running server.
 */
export function createRedisInvalidationPublisher(redis: RedisClient, channel: string): CacheInvalidation {
  return {
    async publish(kind, id) {
      await redis.publish(channel, `${kind}:${id}`);
    },
    onInvalidate() {},
    onReset() {},
    // Never listening, so a cache built on it stores nothing.
    listening: false,
  };
}

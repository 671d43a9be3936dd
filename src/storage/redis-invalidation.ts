import type { Redis } from 'ioredis';

import type { Logger } from '../logging/create-logger.js';
import type { CacheInvalidation } from './cached-adapter.js';

/** Cache invalidation across instances over Redis pub/sub; the subscriber needs its own connection. */
export async function createRedisInvalidation(
  redis: Redis,
  channel: string,
  logger: Logger,
): Promise<CacheInvalidation & { close(): Promise<void> }> {
  const subscriber = redis.duplicate();
  const handlers: Array<(model: string, id: string) => void> = [];
  subscriber.on('message', (_channel: string, message: string) => {
    const separator = message.indexOf(':');
    if (separator <= 0) return;
    const model = message.slice(0, separator);
    const id = message.slice(separator + 1);
    for (const handler of handlers) handler(model, id);
  });
  subscriber.on('error', (error: Error) => logger.warn({ err: { message: error.message } }, 'redis subscriber error'));
  // Commands are not queued while disconnected (see connectRedis), so connect before subscribing.
  if (subscriber.status === 'wait') await subscriber.connect();
  await subscriber.subscribe(channel);
  return {
    async publish(model, id) {
      await redis.publish(channel, `${model}:${id}`);
    },
    onInvalidate(handler) {
      handlers.push(handler);
    },
    async close() {
      await subscriber.quit();
    },
  };
}

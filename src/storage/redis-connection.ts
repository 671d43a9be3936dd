import { Redis } from 'ioredis';

import type { Logger } from '../logging/create-logger.js';
import { errorMessage } from '../logging/error-message.js';
import { StoreConnectionError } from './store-connection-error.js';

/** Opens the shared Redis connection; resolves once it is ready so start-up fails fast. */
export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    // Auto-pipelining stays off: with the offline queue off, a command refused while Redis is
    // away misaligns its batch's callbacks inside ioredis and throws outside any request
    // (ioredis issue 1931). Commands still share one connection without waiting on each other.
    enableAutoPipelining: false,
    // A stalled or absent Redis fails a command within 1.5 s (the request then answers 503)
    // instead of queueing it until Redis is back; reconnection goes on meanwhile. A request can
    // meet the stall up to three times in a row (its own call, the audit spool, the error path),
    // so this bounds its answer at about 4.5 s; Redis's own answers take milliseconds.
    commandTimeout: 1500,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
  });
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => {
    lastError = error;
    logger.warn({ err: { message: error.message } }, 'redis connection error');
  });
  try {
    await redis.connect();
  } catch (error) {
    // Without this the client would keep reconnecting in the background after start-up failed.
    redis.disconnect();
    // connect() itself only says "Connection is closed."; the error event says why.
    const reason = lastError ?? error;
    throw new StoreConnectionError('Redis', errorMessage(reason));
  }
  return redis;
}

import { Redis } from 'ioredis';

import type { Logger } from '../logging/create-logger.js';

/** Opens the shared Redis connection; resolves once it is ready so start-up fails fast. */
export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
  });
  redis.on('error', (error: Error) => logger.warn({ err: { message: error.message } }, 'redis connection error'));
  await redis.connect();
  return redis;
}

import { Cluster, Redis, type RedisOptions } from 'ioredis';

import type { Logger } from '../logging/create-logger.js';
import { errorMessage } from '../logging/error-message.js';
import { StoreConnectionError } from './store-connection-error.js';
import { batchRedisWrites } from './redis-write-batching.js';

/** One Redis server or a Redis Cluster: the storage code uses the commands both answer. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server's URL, or a cluster's seed URLs (any of its nodes). */
export interface RedisTarget {
  readonly url: string;
  readonly cluster: boolean;
}

// A stalled or absent Redis fails a command within 1.5 s (the request then answers 503) instead
// of queueing it until Redis is back; reconnection goes on meanwhile. A request can meet the
// stall up to three times in a row (its own call, the audit spool, the error path), so this
// bounds its answer at about 4.5 s; Redis's own answers take milliseconds.
const COMMAND_OPTIONS: RedisOptions = {
  lazyConnect: true,
  // Auto-pipelining stays off: with the offline queue off, a command refused while Redis is
  // away misaligns its batch's callbacks inside ioredis and throws outside any request
  // (ioredis issue 1931). Commands still share one connection without waiting on each other.
  enableAutoPipelining: false,
  commandTimeout: 1500,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
};

/** The seed nodes of REDIS_URL in cluster mode, with the credentials and TLS of the first. */
function clusterSeeds(urls: string): { nodes: Array<{ host: string; port: number }>; options: RedisOptions } {
  const parsed = urls.split(',').map((url) => new URL(url.trim()));
  const first = parsed[0];
  if (!first) throw new StoreConnectionError('Redis', 'REDIS_URL names no node');
  return {
    nodes: parsed.map((url) => ({ host: url.hostname, port: Number(url.port || 6379) })),
    options: {
      ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
      ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
      ...(first.protocol === 'rediss:' ? { tls: { servername: first.hostname } } : {}),
    },
  };
}

function createClient(target: RedisTarget): RedisClient {
  if (!target.cluster) return new Redis(target.url, COMMAND_OPTIONS);
  const seeds = clusterSeeds(target.url);
  return new Cluster(seeds.nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: false,
    // A moved slot (resharding, failover) is followed; a cluster that is down fails fast.
    maxRedirections: 16,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
    redisOptions: { ...COMMAND_OPTIONS, ...seeds.options },
  });
}

/** Opens the shared Redis connection; resolves once it is ready so start-up fails fast. */
export async function connectRedis(target: RedisTarget, logger: Logger): Promise<RedisClient> {
  const redis = createClient(target);
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
  batchRedisWrites(redis);
  return redis;
}

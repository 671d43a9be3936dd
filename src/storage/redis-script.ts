import { createHash } from 'node:crypto';

import type { RedisClient } from './redis-connection.js';

/** A Lua script run by its SHA-1 (EVALSHA); keys first, then arguments, as EVAL takes them. */
export type RedisScript = (redis: RedisClient, keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>;

/**
 * EVAL sends the whole script with every call and Redis hashes it again each time; the hot paths
 * (grant index, consumption, throttling) run several scripts per request. EVALSHA sends 40
 * characters; a server that does not have the script yet (a restart, a failover, a new cluster
 * node, SCRIPT FLUSH) answers NOSCRIPT and the call falls back to EVAL once, which loads it.
 */
export function defineRedisScript(lua: string): RedisScript {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (redis, keys, args) => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(lua, keys.length, ...keys, ...args);
    }
  };
}

import type { Context, Middleware } from 'koa';
import ratelimit from 'koa-ratelimit';

import type { RedisClient } from '../storage/redis-connection.js';

export interface RateLimitOptions {
  /** A Redis connection or cluster (shared counters) or a Map (one process). */
  readonly db: RedisClient | Map<string, unknown>;
  readonly namespace: string;
  readonly perMinute: number;
  readonly id?: (ctx: Context) => string | false;
}

/**
 * Per-client-IP request budget. Over budget it throws 429 with Retry-After; the error handler
 * renders it as a page or JSON like any other error.
 */
export function createRateLimit(options: RateLimitOptions): Middleware {
  return ratelimit({
    driver: options.db instanceof Map ? 'memory' : 'redis',
    // koa-ratelimit's types name ioredis' Redis only; its limiter defines one Lua command over a
    // single key per call, which a Cluster routes and runs the same way.
    db: options.db as ratelimit.MiddlewareOptions['db'],
    namespace: options.namespace,
    duration: 60_000,
    max: options.perMinute,
    id: options.id ?? ((ctx) => ctx.ip),
    throw: true,
    errorMessage: 'Too many requests. Wait a moment and try again.',
    headers: { remaining: 'RateLimit-Remaining', reset: 'RateLimit-Reset', total: 'RateLimit-Limit' },
  });
}

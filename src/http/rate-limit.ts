import type { Context, Middleware } from 'koa';
import ratelimit from 'koa-ratelimit';

type RateLimitDb = ratelimit.MiddlewareOptions['db'];

export interface RateLimitOptions {
  /** A Redis connection (shared counters) or a Map (one process). */
  readonly db: RateLimitDb;
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
    db: options.db,
    namespace: options.namespace,
    duration: 60_000,
    max: options.perMinute,
    id: options.id ?? ((ctx) => ctx.ip),
    throw: true,
    errorMessage: 'Too many requests. Wait a moment and try again.',
    headers: { remaining: 'RateLimit-Remaining', reset: 'RateLimit-Reset', total: 'RateLimit-Limit' },
  });
}

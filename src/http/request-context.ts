import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';

import { withoutRedaction, type Logger } from '../logging/create-logger.js';
import { loggedPath } from '../logging/logged-path.js';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Gives every request an id (a well-formed incoming X-Request-Id, else a new one) and writes one
 * access-log line when it ends. Only the path is logged: query strings and bodies can carry codes.
 */
export function createRequestContext(deps: { logger: Logger }): Middleware {
  const lines = withoutRedaction(deps.logger);
  return async function trackRequest(ctx, next) {
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    // Read now: once the socket is gone (a client that hung up) Koa's ctx.ip throws.
    const ip = ctx.ip;
    try {
      await next();
    } finally {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const level = ctx.status >= 500 ? 'error' : 'info';
      lines[level]({
        requestId,
        method: ctx.method,
        path: loggedPath(ctx.path),
        status: ctx.status,
        durationMs: Math.round(durationMs * 100) / 100,
        ip,
      }, 'request');
    }
  };
}

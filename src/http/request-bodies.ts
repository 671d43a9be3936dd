import type { Middleware } from 'koa';

import { AppError } from './app-error.js';

/**
 * The largest body any route takes: oidc-provider's own limit (56 KiB). Our forms and JSON
 * bodies have tighter limits of their own (read-form.ts, read-json.ts).
 */
export const MAX_BODY_BYTES = 56 * 1024;

export class PayloadTooLargeError extends AppError {
  constructor() {
    super(413, 'payload_too_large', 'The request body is too large.');
  }
}

/**
 * Bodies over the limit are refused with 413 before anyone reads them, and any answer sent
 * while the request body is still unread closes the connection: a kept-alive connection would
 * otherwise wait for a body nobody reads, and the next request on it (another user's, behind
 * a proxy that reuses connections) would hang.
 */
export function createBodyLimits(): Middleware {
  return async function limitBodies(ctx, next) {
    try {
      const declared = Number(ctx.get('content-length') || 0);
      if (declared > MAX_BODY_BYTES) throw new PayloadTooLargeError();
      await next();
    } finally {
      if (!ctx.req.complete && !ctx.headerSent) ctx.set('Connection', 'close');
    }
  };
}

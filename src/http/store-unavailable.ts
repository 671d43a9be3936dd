import type { Context, Middleware } from 'koa';

import { AppError } from './app-error.js';
import type { Renderer } from './renderer.js';
import { sendPage } from './send-page.js';
import { message } from '../i18n/message.js';

// Names of the errors the Redis and MongoDB clients raise when a store does not answer, or is
// not connected: a timeout, a refused or dropped connection, no server to select.
const MONGO_UNAVAILABLE = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
  'MongoExpiredSessionError',
]);
const REDIS_UNAVAILABLE = /^(Command timed out|Connection is closed|Stream isn't writeable|Reached the max retries per request limit)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/** Raised by our own code when it cannot go on without a store (the audit trail, say). */
export class StoreUnavailableError extends AppError {
  constructor() {
    super(503, 'temporarily_unavailable', 'The service is briefly unavailable. Please try again in a few seconds.', true);
  }
}

/** Seconds a client is told to wait when a store is down: about one reconnect cycle. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
export const UNAVAILABLE_DESCRIPTION = 'The service is briefly unavailable. Please try again in a few seconds.';

/**
 * Whether an error means a store (Redis, MongoDB) is slow or down, rather than a bug: such a
 * request deserves 503 and a retry, not 500. Also true for errors that carry one as `cause`.
 */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const { name, message, code, cause } = error as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
  if (typeof name === 'string' && (MONGO_UNAVAILABLE.has(name) || name === 'MaxRetriesPerRequestError' || name === 'LockTimeoutError' || name === 'StoreUnavailableError')) return true;
  if (typeof message === 'string' && REDIS_UNAVAILABLE.test(message)) return true;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  return isStoreUnavailable(cause, depth + 1);
}

/** Answers as a store outage: 503 with Retry-After, as OAuth JSON or a page. */
export function respondUnavailable(ctx: Context, renderer: Renderer): void {
  ctx.set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  ctx.status = 503;
  if (ctx.accepts('json', 'html') === 'html') {
    sendPage(ctx, renderer, 'error', { title: 'errorPage.unavailable.title', error: 'temporarily_unavailable', description: message('errorPage.unavailable.text') });
  } else {
    ctx.body = { error: 'temporarily_unavailable', error_description: UNAVAILABLE_DESCRIPTION };
  }
}

/**
 * oidc-provider answers any unexpected error with 500 server_error (or a redirect carrying it)
 * and emits `server_error`; create-provider.ts marks the request when that error was a store
 * outage. This turns such answers into 503 temporarily_unavailable (RFC 6749 names the code for
 * authorization responses too), so clients retry instead of giving up.
 */
export function createProviderUnavailableMapping(deps: { renderer: Renderer; providerMiddleware: Middleware }): Middleware {
  return async function mapStoreOutages(ctx, next) {
    await deps.providerMiddleware(ctx, next);
    if (ctx.state.storeUnavailable !== true) return;
    const location = ctx.response.get('Location');
    if (ctx.status >= 300 && ctx.status < 400 && location) {
      const url = new URL(location);
      const target = url.hash && !url.searchParams.has('error') ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
      if (target.get('error') === 'server_error') {
        target.set('error', 'temporarily_unavailable');
        target.set('error_description', UNAVAILABLE_DESCRIPTION);
        if (target !== url.searchParams) url.hash = target.toString();
        ctx.set('Location', url.toString());
        ctx.set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      }
      return;
    }
    if (ctx.status === 500) respondUnavailable(ctx, deps.renderer);
  };
}

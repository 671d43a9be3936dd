import type { Middleware } from 'koa';

import type { Logger } from '../logging/create-logger.js';
import { AppError } from './app-error.js';
import { describeWait } from './describe-wait.js';
import { isStoreUnavailable, respondUnavailable } from './store-unavailable.js';
import type { Renderer } from './renderer.js';
import { sendPage } from './send-page.js';
import { loggedPath } from '../logging/logged-path.js';
import { message, type Message } from '../i18n/message.js';

interface HttpLikeError {
  status?: unknown;
  expose?: unknown;
  message?: unknown;
  headers?: unknown;
}

function statusOf(error: unknown): number {
  const status = (error as HttpLikeError | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function codeOf(error: unknown, status: number): string {
  if (error instanceof AppError) return error.code;
  if (status === 404) return 'not_found';
  if (status === 429) return 'too_many_requests';
  if (status < 500) return 'invalid_request';
  return 'server_error';
}

const GENERIC_MESSAGE = 'Something went wrong on our side. Please try again.';

// What a person reads for the errors people meet; any other is shown as its (English) message.
const PAGE_TEXT: Readonly<Record<string, string>> = {
  not_found: 'errorPage.notFound',
  server_error: 'errorPage.generic',
  interaction_expired: 'errorPage.interactionExpired',
  account_unavailable: 'errorPage.accountUnavailable',
  invalid_csrf_token: 'errorPage.csrf',
};

function pageText(code: string, exposedMessage: string, status: number, retryAfter: number | undefined): { title: string; description: Message; descriptionLang?: string } {
  if (status === 429) {
    // A person is told how long to wait, not just to wait.
    const known = retryAfter !== undefined && Number.isFinite(retryAfter);
    return { title: 'errorPage.wait.title', description: known ? message('errorPage.wait.text', { wait: describeWait(Math.max(1, retryAfter)) }) : message('errorPage.wait.textNoTime') };
  }
  const key = PAGE_TEXT[code];
  if (key) return { title: 'errorPage.title', description: message(key) };
  // Messages of our API errors are English; the page says so to a screen reader.
  return { title: 'errorPage.title', description: message('common.detail', { detail: exposedMessage }), descriptionLang: 'en' };
}

/**
 * Maps errors thrown by Latchkey's own routes to a response: JSON for API clients, a rendered
 * page for browsers. Provider endpoints render their own errors through renderError.
 */
export function createErrorHandler(deps: { logger: Logger; renderer: Renderer }): Middleware {
  return async function handleErrors(ctx, next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError(404, 'not_found', 'The page you asked for does not exist.');
      }
    } catch (error) {
      // The client went away and its work was stopped on purpose (an abandoned audit query).
      if ((error as { name?: unknown } | null)?.name === 'AbortError') {
        ctx.status = 499;
        return;
      }
      if (isStoreUnavailable(error)) {
        deps.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) }, path: loggedPath(ctx.path), requestId: ctx.state.requestId }, 'store unavailable');
        respondUnavailable(ctx, deps.renderer);
        return;
      }
      const status = statusOf(error);
      const exposed = error instanceof AppError ? error.expose : status < 500 && (error as HttpLikeError).expose !== false;
      const description = exposed && typeof (error as HttpLikeError).message === 'string'
        ? String((error as HttpLikeError).message)
        : GENERIC_MESSAGE;
      const code = codeOf(error, status);
      if (error instanceof AppError && status >= 500) {
        deps.logger.warn({ code: error.code, path: loggedPath(ctx.path), requestId: ctx.state.requestId }, 'request refused');
      } else if (status >= 500) {
        deps.logger.error({ err: error, path: loggedPath(ctx.path), requestId: ctx.state.requestId }, 'unhandled error');
      }
      ctx.status = status;
      const headers = (error as HttpLikeError).headers;
      // Only Retry-After is carried over from thrown errors (rate limits set it).
      let retryAfter: number | undefined;
      if (headers && typeof headers === 'object' && 'Retry-After' in headers) {
        const value = String((headers as Record<string, unknown>)['Retry-After']);
        ctx.set('Retry-After', value);
        retryAfter = Number.parseInt(value, 10);
      }
      // JSON unless the client prefers HTML: browsers say so, API clients often send no Accept at all.
      if (ctx.accepts('json', 'html') === 'html') {
        sendPage(ctx, deps.renderer, 'error', { error: code, ...pageText(code, description, status, retryAfter) });
      } else {
        ctx.body = { error: code, error_description: description };
      }
    }
  };
}

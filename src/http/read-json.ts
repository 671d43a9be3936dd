import type { Context } from 'koa';

import { AppError, BadRequestError } from './app-error.js';
import { readBody } from './read-body.js';

const MAX_JSON_BYTES = 64 * 1024;

/** Reads a JSON request body; wrong type, bad JSON or a large body are clear 4xx errors. */
export async function readJson(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) throw new AppError(415, 'invalid_request', 'Send the body as application/json.');
  const body = await readBody(ctx, MAX_JSON_BYTES);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BadRequestError('The request body is not valid JSON.');
  }
}

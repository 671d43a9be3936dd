import type { Context } from 'koa';

import { AppError, BadRequestError } from './app-error.js';

const MAX_JSON_BYTES = 64 * 1024;

/** Reads a JSON request body; wrong type, bad JSON or a large body are clear 4xx errors. */
export async function readJson(ctx: Context): Promise<unknown> {
  if (!ctx.is('application/json')) throw new AppError(415, 'invalid_request', 'Send the body as application/json.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_JSON_BYTES) throw new AppError(413, 'invalid_request', 'The request body is too large.');
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequestError('The request body is not valid JSON.');
  }
}

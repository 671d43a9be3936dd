import type { Context } from 'koa';

import { AppError } from './app-error.js';

/** The raw request body, refused with 413 once it passes `maxBytes`. */
export async function readBody(ctx: Context, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) throw new AppError(413, 'payload_too_large', 'The request body is too large.');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

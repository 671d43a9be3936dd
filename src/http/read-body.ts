import type { Context } from 'koa';

import { PayloadTooLargeError } from './request-bodies.js';

/**
 * The raw request body, refused with 413 once it passes `maxBytes`. The rest of an oversized
 * body is left to be discarded with the connection (request-bodies.ts closes it); the stream
 * itself is not destroyed, so the 413 still reaches the client.
 */
export async function readBody(ctx: Context, maxBytes: number): Promise<Buffer> {
  if (Number(ctx.get('content-length') || 0) > maxBytes) throw new PayloadTooLargeError();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req.iterator({ destroyOnReturn: false })) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) throw new PayloadTooLargeError();
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

import type { Context } from 'koa';

import { AppError, BadRequestError } from './app-error.js';

const MAX_FORM_BYTES = 16 * 1024;

/** Reads an application/x-www-form-urlencoded body; anything else or anything large is refused. */
export async function readForm(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new BadRequestError('Expected a form submission.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_FORM_BYTES) throw new AppError(413, 'payload_too_large', 'The form is too large.');
    chunks.push(buffer);
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
    // First value wins: a repeated field must not smuggle a second value past validation.
    if (!(name in fields)) fields[name] = value;
  }
  return fields;
}

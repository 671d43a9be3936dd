import type { Context } from 'koa';

import { BadRequestError } from './app-error.js';
import { readBody } from './read-body.js';

const MAX_FORM_BYTES = 16 * 1024;

/** Reads an application/x-www-form-urlencoded body; anything else or anything large is refused. */
export async function readForm(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new BadRequestError('Expected a form submission.');
  }
  const body = await readBody(ctx, MAX_FORM_BYTES);
  const fields: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    // First value wins: a repeated field must not smuggle a second value past validation.
    if (!(name in fields)) fields[name] = value;
  }
  return fields;
}

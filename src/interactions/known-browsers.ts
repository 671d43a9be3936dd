import { createHash } from 'node:crypto';
import type { Context } from 'koa';

const COOKIE = 'lk_seen';
const MAX_ACCOUNTS = 10;
const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

function tag(accountId: string): string {
  return createHash('sha256').update(`seen:${accountId}`).digest('base64url').slice(0, 16);
}

function read(ctx: Context): string[] {
  return (ctx.cookies.get(COOKIE, { signed: true }) ?? '').split('.').filter(Boolean);
}

/**
 * Which accounts have signed in from this browser before: a signed cookie of short hashes of
 * their ids (nothing a reader could turn back into an account), so that a sign-in from a
 * browser not seen before can be told to the account's owner.
 */
export function seenBefore(ctx: Context, accountId: string): boolean {
  return read(ctx).includes(tag(accountId));
}

export function rememberBrowser(ctx: Context, accountId: string): void {
  const tags = [tag(accountId), ...read(ctx).filter((entry) => entry !== tag(accountId))].slice(0, MAX_ACCOUNTS);
  ctx.cookies.set(COOKIE, tags.join('.'), { signed: true, httpOnly: true, sameSite: 'lax', secure: ctx.secure, maxAge: ONE_YEAR_MS, overwrite: true });
}

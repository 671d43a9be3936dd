import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';

import type { Csrf } from '../interactions/csrf.js';

const COOKIE = 'lk_form';

/**
 * CSRF for pages outside a sign-in (password reset): a random value in a signed, HttpOnly,
 * SameSite=Lax cookie, and in the form an HMAC of it; a forged post from another site has
 * neither. The interaction pages bind their tokens to the interaction instead (csrf.ts).
 */
export function createPageCsrf(csrf: Csrf) {
  return {
    /** The value for the form's hidden `csrf` field; sets the cookie when there is none. */
    tokenFor(ctx: Context): string {
      let nonce = ctx.cookies.get(COOKIE, { signed: true });
      if (!nonce) {
        nonce = randomBytes(16).toString('base64url');
        ctx.cookies.set(COOKIE, nonce, { signed: true, httpOnly: true, sameSite: 'lax', secure: ctx.secure, overwrite: true });
      }
      return csrf.tokenFor(`page:${nonce}`);
    },
    check(ctx: Context, token: unknown): boolean {
      const nonce = ctx.cookies.get(COOKIE, { signed: true });
      return nonce !== undefined && csrf.check(`page:${nonce}`, token);
    },
  };
}

export type PageCsrf = ReturnType<typeof createPageCsrf>;

import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** CSRF tokens bound to one interaction: an HMAC of its uid, so nothing needs storing. */
export interface Csrf {
  tokenFor(interactionUid: string): string;
  check(interactionUid: string, token: unknown): boolean;
}

export function createCsrf(secret: string): Csrf {
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'latchkey csrf', 32));
  const tokenFor = (uid: string): string => createHmac('sha256', key).update(uid).digest('base64url');
  return {
    tokenFor,
    check(uid, token) {
      if (typeof token !== 'string') return false;
      const expected = Buffer.from(tokenFor(uid));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

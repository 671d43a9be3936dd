import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** CSRF tokens bound to one interaction: an HMAC of its uid, so nothing needs storing. */
export interface Csrf {
  tokenFor(interactionUid: string): string;
  check(interactionUid: string, token: unknown): boolean;
}

/**
 * Tokens are made with the first of COOKIE_KEYS and accepted under any of them, like the
 * cookies themselves: a form opened before a key rotation still submits after it.
 */
export function createCsrf(secrets: readonly string[]): Csrf {
  if (secrets.length === 0) throw new Error('CSRF needs at least one key');
  const keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'latchkey csrf', 32)));
  const tokenUnder = (key: Buffer, uid: string): string => createHmac('sha256', key).update(uid).digest('base64url');
  return {
    tokenFor: (uid) => tokenUnder(keys[0] as Buffer, uid),
    check(uid, token) {
      if (typeof token !== 'string') return false;
      const given = Buffer.from(token);
      let valid = false;
      // Every key is tried, so the time taken does not say which key matched.
      for (const key of keys) {
        const expected = Buffer.from(tokenUnder(key, uid));
        if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
      }
      return valid;
    },
  };
}

import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a challenge was issued for: signing in, or registering a passkey. */
export type PasskeyCeremony = 'sign-in' | 'register';

/** A challenge is good only for the ceremony, account and page (interaction or session) it was issued on. */
export interface ChallengeBinding {
  readonly ceremony: PasskeyCeremony;
  readonly accountId: string;
  /** The interaction uid on the sign-in pages, the session uid in the account area. */
  readonly context: string;
}

export interface PasskeyChallenges {
  /** A fresh challenge for `binding`: the bytes the authenticator signs. */
  issue(binding: ChallengeBinding): Uint8Array<ArrayBuffer>;
  /**
   * The challenge (base64url, as the browser returns it) if it was issued here for `binding` and
   * has not expired: its nonce, which the caller claims once, and its expiry. Else undefined.
   */
  open(challenge: string, binding: ChallengeBinding): { readonly nonce: string; readonly expiresAt: number } | undefined;
}

const VERSION = 1;
const NONCE_BYTES = 16;
const MAC_BYTES = 32;
const LENGTH = 1 + NONCE_BYTES + 8 + MAC_BYTES;

/**
 * Challenges that need no storage until they are used: a random nonce and an expiry, with an HMAC
 * over them and the binding under a key derived from COOKIE_KEYS (the first signs, all verify,
 * as for the cookies). Every instance can check a challenge another issued; using it once only
 * is the caller's claim on the nonce.
 */
export function createPasskeyChallenges(secrets: readonly string[], options: { readonly lifetimeSeconds: number; readonly now?: () => number }): PasskeyChallenges {
  if (secrets.length === 0) throw new Error('passkey challenges need at least one key');
  const keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'latchkey passkey challenge', 32)));
  const now = options.now ?? Date.now;
  const macOf = (key: Buffer, head: Buffer, binding: ChallengeBinding): Buffer =>
    createHmac('sha256', key).update(head).update(JSON.stringify([binding.ceremony, binding.accountId, binding.context])).digest();

  return {
    issue(binding) {
      const head = Buffer.alloc(1 + NONCE_BYTES + 8);
      head.writeUInt8(VERSION, 0);
      randomBytes(NONCE_BYTES).copy(head, 1);
      head.writeBigUInt64BE(BigInt(Math.floor(now() / 1000) + options.lifetimeSeconds), 1 + NONCE_BYTES);
      return new Uint8Array(Buffer.concat([head, macOf(keys[0] as Buffer, head, binding)]));
    },
    open(challenge, binding) {
      const bytes = Buffer.from(challenge, 'base64url');
      if (bytes.length !== LENGTH || bytes.readUInt8(0) !== VERSION) return undefined;
      const head = bytes.subarray(0, LENGTH - MAC_BYTES);
      const mac = bytes.subarray(LENGTH - MAC_BYTES);
      let valid = false;
      // Every key is tried, so the time taken does not say which one matched.
      for (const key of keys) if (timingSafeEqual(mac, macOf(key, head, binding))) valid = true;
      const expiresAt = Number(bytes.readBigUInt64BE(1 + NONCE_BYTES)) * 1000;
      if (!valid || expiresAt <= now()) return undefined;
      return { nonce: head.subarray(1, 1 + NONCE_BYTES).toString('base64url'), expiresAt };
    },
  };
}

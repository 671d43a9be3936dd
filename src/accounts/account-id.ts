import { randomBytes } from 'node:crypto';

/** A new `sub`: 128 random bits, base64url, so it reveals neither the email nor a creation time. */
export function createAccountId(): string {
  return randomBytes(16).toString('base64url');
}

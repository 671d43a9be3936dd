/**
 * Authentication Method References (RFC 8176) for a finished sign-in: a password plus a
 * one-time code. A recovery code is a one-time code too, and the extra value says which.
 */
export function buildAmr(secondFactor: 'totp' | 'recovery_code'): string[] {
  return secondFactor === 'totp' ? ['pwd', 'otp', 'mfa'] : ['pwd', 'otp', 'mfa', 'recovery_code'];
}

/**
 * Authentication Method References (RFC 8176) for a finished sign-in: a password plus a
 * one-time code. A recovery code is a one-time code too, and the extra value says which.
 */
export function buildAmr(secondFactor: 'totp' | 'recovery_code'): string[] {
  return secondFactor === 'totp' ? ['pwd', 'otp', 'mfa'] : ['pwd', 'otp', 'mfa', 'recovery_code'];
}

/**
 * The acr of every sign-in: the password and a one-time code (TOTP or a recovery code), which is
 * the PAPE multi-factor policy. Requests naming it in acr_values get it back in the ID token.
 */
export const SIGN_IN_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';

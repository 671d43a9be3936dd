/** How the second factor of a sign-in was given. */
export type SecondFactorMethod = 'totp' | 'recovery_code' | 'passkey';

/**
 * Authentication Method References (RFC 8176) for a finished sign-in: the password plus a
 * second factor. A one-time code (TOTP, or a recovery code, which the extra value names) is
 * `otp`. A passkey is proof of a key: `hwk` when it lives in one authenticator, `swk` when its
 * platform syncs it between devices (backup eligible), since then it is not bound to hardware.
 */
export function buildAmr(secondFactor: SecondFactorMethod, passkey: { readonly synced: boolean } = { synced: false }): string[] {
  if (secondFactor === 'passkey') return ['pwd', passkey.synced ? 'swk' : 'hwk', 'mfa'];
  return secondFactor === 'totp' ? ['pwd', 'otp', 'mfa'] : ['pwd', 'otp', 'mfa', 'recovery_code'];
}

/**
 * The acr of every sign-in: the password and a second factor (a one-time code or a passkey),
 * which is the PAPE multi-factor policy. Requests naming it in acr_values get it back in the ID token.
 */
export const SIGN_IN_ACR = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';

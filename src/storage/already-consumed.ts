import { errors } from 'oidc-provider';

/**
 * Raised by an adapter's consume() when another request consumed the artifact first. The
 * provider checks `consumed` before calling consume(), but two concurrent redemptions can both
 * pass that check; failing the loser as invalid_grant keeps a code or refresh token single-use.
 */
export function alreadyConsumed(model: string): Error {
  return new errors.InvalidGrant(`${model} already consumed`);
}

/** consume() of an artifact that vanished since it was read (revoked, or expired meanwhile). */
export function noLongerExists(model: string): Error {
  return new errors.InvalidGrant(`${model} no longer exists`);
}

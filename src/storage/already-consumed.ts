import { errors } from 'oidc-provider';

// A request_uri that cannot be used is reported as RFC 9126 says; every other consumable is
// a grant (code, refresh token, device code...) and is refused as invalid_grant.
function notRedeemable(model: string, reason: string): Error {
  if (model === 'PushedAuthorizationRequest') return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  return new errors.InvalidGrant(`${model} ${reason}`);
}

/**
 * Raised by an adapter's consume() when another request consumed the artifact first. The
 * provider checks `consumed` before calling consume(), but two concurrent redemptions can both
 * pass that check; failing the loser keeps a code, refresh token or request_uri single-use.
 */
export function alreadyConsumed(model: string): Error {
  return notRedeemable(model, 'already consumed');
}

/** consume() of an artifact that vanished since it was read (revoked, or expired meanwhile). */
export function noLongerExists(model: string): Error {
  return notRedeemable(model, 'no longer exists');
}

/** upsert() of an artifact bound to a grant that was revoked while it was being issued. */
export function grantRevoked(model: string): Error {
  return new errors.InvalidGrant(`${model} belongs to a grant that was revoked`);
}

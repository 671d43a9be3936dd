/**
 * Models that must survive restarts and are administered like data (MongoDB), as opposed to
 * everything with a lifetime (Redis, expiring by TTL).
 */
export const DURABLE_MODELS: ReadonlySet<string> = new Set([
  'Client',
  'InitialAccessToken',
  'RegistrationAccessToken',
]);

/** Models that belong to a grant, so that revoking the grant can find and remove them. */
export const GRANT_BOUND_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

/**
 * Models whose artifacts are redeemed once, so consume() must be atomic for them: every model
 * of oidc-provider whose class has a consume() method. The adapter contract suite reads that
 * from the installed library and fails when this list falls behind it.
 */
export const CONSUMABLE_MODELS: ReadonlySet<string> = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
  'PushedAuthorizationRequest',
]);

/** Models that belong to an account: disabling it, or changing its credentials, ends them all. */
export const ACCOUNT_BOUND_MODELS: ReadonlySet<string> = new Set(['Session', 'Grant']);

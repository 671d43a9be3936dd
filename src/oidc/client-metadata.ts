import { errors, type KoaContextWithOIDC } from 'oidc-provider';

import { checkFrontchannelMetadata, FRONTCHANNEL_PROPERTIES } from './frontchannel-metadata.js';

function isFrontchannelProperty(key: string): boolean {
  return FRONTCHANNEL_PROPERTIES.some((property) => property === key);
}

/** The scope of the admin API; only clients an administrator marked may hold it. */
export const ADMIN_SCOPE = 'admin';

/** Which registered resource servers a client may request tokens for (RFC 8707). */
export const CLIENT_RESOURCES_PROPERTY = 'latchkey_resources';

/** Set by an administrator (CLI or admin API) on a client that may call the admin API. */
export const ADMIN_CLIENT_PROPERTY = 'latchkey_admin';

/**
 * A random value renewed whenever an administrator (re)grants admin rights or rotates the
 * secret; admin tokens carry the value they were issued under, so those changes end them.
 */
export const ADMIN_GENERATION_PROPERTY = 'latchkey_admin_generation';

/**
 * Set by an administrator on a confidential client: whether its authorization requests must use
 * PKCE. Absent means the operator's default (config `pkce.confidentialClients`); public clients
 * always must, whatever this says.
 */
export const PKCE_REQUIRED_PROPERTY = 'latchkey_pkce_required';

/** Set by an administrator: the registered resources this client may exchange tokens for (RFC 8693). */
export const EXCHANGE_AUDIENCES_PROPERTY = 'latchkey_exchange_audiences';

/**
 * Set by an administrator: 'delegation' (the default) names the client in an exchanged token's
 * `act` claim; 'impersonation' issues a token that says only who the user is.
 */
export const EXCHANGE_MODE_PROPERTY = 'latchkey_exchange_mode';
export const EXCHANGE_MODES = ['delegation', 'impersonation'] as const;
export type ExchangeMode = (typeof EXCHANGE_MODES)[number];

/**
 * Set by an administrator: the security profile a client is held to. 'fapi2' is the FAPI 2.0
 * Security Profile: pushed requests, PKCE, DPoP-bound tokens, private_key_jwt, ES256 ID tokens,
 * no refresh token rotation (oidc/fapi-profile.ts).
 */
export const CLIENT_PROFILE_PROPERTY = 'latchkey_profile';
export const CLIENT_PROFILES = ['fapi2'] as const;
export type ClientProfile = (typeof CLIENT_PROFILES)[number];

/**
 * Client metadata beyond the standard set. Every one of them is granted by an administrator:
 * `first_party` skips the consent page, resources open APIs, the admin mark opens /admin/v1,
 * the PKCE setting may relax what the operator's default demands, the exchange settings let
 * a client trade users' tokens for tokens to other APIs (RFC 8693), and the profile holds a
 * client to FAPI 2.0.
 */
export const EXTRA_CLIENT_PROPERTIES = ['first_party', CLIENT_RESOURCES_PROPERTY, ADMIN_CLIENT_PROPERTY, ADMIN_GENERATION_PROPERTY, PKCE_REQUIRED_PROPERTY, EXCHANGE_AUDIENCES_PROPERTY, EXCHANGE_MODE_PROPERTY, CLIENT_PROFILE_PROPERTY] as const;

function scopesOf(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
}

function checkShape(key: string, value: unknown): void {
  if (value === undefined) return;
  if ((key === 'first_party' || key === ADMIN_CLIENT_PROPERTY || key === PKCE_REQUIRED_PROPERTY) && typeof value !== 'boolean') {
    throw new errors.InvalidClientMetadata(`${key} must be a boolean`);
  }
  if ((key === CLIENT_RESOURCES_PROPERTY || key === EXCHANGE_AUDIENCES_PROPERTY) && !(Array.isArray(value) && value.every((item) => typeof item === 'string'))) {
    throw new errors.InvalidClientMetadata(`${key} must be an array of resource identifiers`);
  }
  if (key === CLIENT_PROFILE_PROPERTY && !CLIENT_PROFILES.some((profile) => profile === value)) {
    throw new errors.InvalidClientMetadata(`${key} must be ${CLIENT_PROFILES.join(' or ')}`);
  }
  if (key === EXCHANGE_MODE_PROPERTY && !EXCHANGE_MODES.some((mode) => mode === value)) {
    throw new errors.InvalidClientMetadata(`${key} must be ${EXCHANGE_MODES.join(' or ')}`);
  }
  if (key === ADMIN_GENERATION_PROPERTY && typeof value !== 'string') {
    throw new errors.InvalidClientMetadata(`${key} must be a string`);
  }
}

// What a client that was never granted anything holds, so that a registration may repeat it.
const NOT_GRANTED: Readonly<Record<string, unknown>> = { first_party: false, [CLIENT_RESOURCES_PROPERTY]: [], [ADMIN_CLIENT_PROPERTY]: false, [EXCHANGE_AUDIENCES_PROPERTY]: [] };

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const BY_ADMINISTRATOR = 'is granted by an administrator (latchkey CLI or admin API), not through client registration';

/**
 * The check oidc-provider runs for every extra property whenever it builds a client. It passes a
 * request context only when the metadata came from a client over HTTP: registration (RFC 7591)
 * and self-management (RFC 7592), on every route the provider has for them. Clients built from
 * storage or by the admin tools get none. So the boundary is where the metadata came from, not
 * which route name it passed: from a client, nothing an administrator grants is accepted.
 *
 * `defaultScope` replaces a missing or empty scope: oidc-provider lets a client without one ask
 * for every scope the server knows, the admin scope included.
 */
export function createExtraClientMetadataCheck(options: { readonly defaultScope: string }) {
  return function checkExtraClientMetadata(ctx: KoaContextWithOIDC | undefined, key: string, value: unknown, metadata: Record<string, unknown>): void {
    // A relying party's own front-channel logout settings: its to set, checked for shape only.
    if (isFrontchannelProperty(key)) {
      checkFrontchannelMetadata(key, value, metadata);
      return;
    }
    checkShape(key, value);
    const fromClient = ctx !== undefined;
    if (fromClient) {
      // On an RFC 7592 update the provider has loaded the stored client: what an administrator
      // set there stays, whether the client repeats it (as a full update does) or leaves it out.
      const stored = (ctx.oidc.entities.Client as Record<string, unknown> | undefined)?.[key];
      if (value === undefined) {
        if (stored !== undefined) metadata[key] = stored;
      } else if (!sameValue(value, stored ?? NOT_GRANTED[key])) {
        throw new errors.InvalidClientMetadata(`${key} ${BY_ADMINISTRATOR}`);
      }
    }

    // Scope rules run once per client, on the admin mark's turn.
    if (key !== ADMIN_CLIENT_PROPERTY) return;
    const scopes = scopesOf(metadata.scope);
    if (scopes.length === 0) {
      metadata.scope = options.defaultScope;
      return;
    }
    if (!scopes.includes(ADMIN_SCOPE) || metadata[ADMIN_CLIENT_PROPERTY] === true) return;
    if (fromClient) throw new errors.InvalidClientMetadata(`the ${ADMIN_SCOPE} scope ${BY_ADMINISTRATOR}`);
    // A stored client without the mark (registered before this rule existed) loses the scope
    // rather than failing to load: it may never be issued admin tokens.
    const kept = scopes.filter((scope) => scope !== ADMIN_SCOPE);
    metadata.scope = kept.length > 0 ? kept.join(' ') : options.defaultScope;
  };
}

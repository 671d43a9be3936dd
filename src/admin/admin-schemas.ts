import { z } from 'zod';

import { AUDIT_EVENT_TYPES } from '../audit/audit-event-types.js';
import { GRANT_TYPES } from '../clients/client-service.js';
import { CLIENT_PROFILES, EXCHANGE_MODES } from '../oidc/client-metadata.js';

const uri = z.string().min(1).max(2000);

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().min(1).max(200).optional(),
});

export const clientCreateBody = z.strictObject({
  client_name: z.string().min(1).max(100),
  redirect_uris: z.array(uri).max(20).optional(),
  post_logout_redirect_uris: z.array(uri).max(20).optional(),
  public: z.boolean().optional(),
  grant_types: z.array(z.enum(GRANT_TYPES)).max(GRANT_TYPES.length).optional(),
  scope: z.string().max(1000).optional(),
  admin: z.boolean().optional(),
  first_party: z.boolean().optional(),
  /** Confidential clients only; null or absent: the operator's default (config pkce). */
  pkce_required: z.boolean().nullable().optional(),
  logo_uri: uri.optional(),
  policy_uri: uri.optional(),
  tos_uri: uri.optional(),
  resources: z.array(uri).max(50).optional(),
  /** RFC 9126: this client's authorization requests must be pushed (PAR). */
  require_pushed_authorization_requests: z.boolean().optional(),
  /** RFC 9449: this client's access tokens must be bound to a DPoP key. */
  dpop_bound_access_tokens: z.boolean().optional(),
  /** RFC 8693: registered resources this client may exchange users' tokens for ([] ends it). */
  token_exchange_audiences: z.array(uri).max(50).optional(),
  /** delegation (default): exchanged tokens name the client in act; impersonation: they do not. */
  token_exchange_mode: z.enum(EXCHANGE_MODES).optional(),
  /** The client's public keys (private_key_jwt instead of a secret), inline or by URL. */
  jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(10) }).optional(),
  jwks_uri: uri.optional(),
  /** fapi2: the FAPI 2.0 Security Profile (needs jwks or jwks_uri). */
  profile: z.enum(CLIENT_PROFILES).optional(),
});

export const clientPatchBody = clientCreateBody.omit({ public: true }).partial();

// Checked field by field by the account service (accounts/profile.ts), against config customClaims.
const profileBody = z.record(z.string().max(50), z.unknown()).optional();
const attributesBody = z.record(z.string().max(50), z.unknown()).optional();

export const userCreateBody = z.strictObject({
  email: z.string().min(3).max(254),
  name: z.string().max(200).nullable().optional(),
  password: z.string().min(1).max(1024),
  with_totp: z.boolean().optional(),
  /** OpenID standard claims (given_name, address, phone_number, ...). */
  profile: profileBody,
  /** Attributes declared in config customClaims. */
  attributes: attributesBody,
});

export const userPatchBody = z.strictObject({
  name: z.string().max(200).nullable().optional(),
  /** Given fields replace, null removes, absent ones stay. */
  profile: profileBody,
  attributes: attributesBody,
  status: z.enum(['active', 'disabled']).optional(),
  password: z.string().min(1).max(1024).optional(),
});

export const auditQuery = z.strictObject({
  type: z.enum(AUDIT_EVENT_TYPES).optional(),
  account_id: z.string().max(100).optional(),
  client_id: z.string().max(100).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().min(1).max(200).optional(),
});

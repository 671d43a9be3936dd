import { randomBytes } from 'node:crypto';
import type { AdapterFactory, AdapterPayload } from 'oidc-provider';

import type { ClientDirectory, ClientPage } from './client-directory.js';
import { ClientNotFoundError, InvalidClientInputError } from './client-errors.js';
import { checkRedirectUri } from './redirect-uri.js';
import { hasPrivateMembers } from '../keys/public-jwk.js';
import {
  ADMIN_CLIENT_PROPERTY, ADMIN_GENERATION_PROPERTY, ADMIN_SCOPE, CLIENT_PROFILE_PROPERTY, EXCHANGE_AUDIENCES_PROPERTY, EXCHANGE_MODE_PROPERTY, PKCE_REQUIRED_PROPERTY,
  type ClientProfile, type ExchangeMode,
} from '../oidc/client-metadata.js';
import { DEVICE_CODE_GRANT } from '../oidc/device-flow.js';
import { TOKEN_EXCHANGE_GRANT } from '../oidc/token-exchange.js';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** What an admin says about a client; everything else is derived. */
export interface ClientInput {
  readonly name: string;
  readonly redirectUris?: readonly string[];
  readonly postLogoutRedirectUris?: readonly string[];
  readonly publicClient?: boolean;
  readonly grantTypes?: readonly string[];
  readonly scope?: string;
  readonly admin?: boolean;
  readonly firstParty?: boolean;
  /** A confidential client's PKCE requirement; undefined leaves it to the operator's default. */
  readonly pkceRequired?: boolean | undefined;
  readonly logoUri?: string;
  readonly policyUri?: string;
  readonly tosUri?: string;
  /** Registered resource servers this client may request tokens for. */
  readonly resources?: readonly string[];
  /** RFC 9126: authorization requests only through the PAR endpoint. */
  readonly requirePushedRequests?: boolean;
  /** RFC 9449: access tokens only bound to a DPoP key (refresh tokens of public clients too). */
  readonly dpopBoundTokens?: boolean;
  /** RFC 8693: registered resources this client may exchange users' tokens for; none: no exchange. */
  readonly exchangeAudiences?: readonly string[];
  /** Whether exchanged tokens name this client in `act` (delegation, the default) or not. */
  readonly exchangeMode?: ExchangeMode;
  /** The client's public keys, inline or by URL: it authenticates with private_key_jwt, not a secret. */
  readonly jwks?: { readonly keys: readonly Record<string, unknown>[] };
  readonly jwksUri?: string;
  /** 'fapi2': held to the FAPI 2.0 Security Profile. */
  readonly profile?: ClientProfile;
}

export interface CreatedClient {
  readonly metadata: AdapterPayload;
  /** Shown once; only its ciphertext is stored. */
  readonly clientSecret?: string;
}

export interface ClientServiceDeps {
  readonly adapter: AdapterFactory;
  readonly directory: ClientDirectory;
  /** The provider's own metadata validation, so that a stored client always loads. */
  readonly validate: (metadata: AdapterPayload) => Promise<void>;
  readonly allowedScopes: readonly string[];
  /** Whether a resource identifier is registered. */
  readonly resourceExists: (identifier: string) => Promise<boolean>;
}

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function checkUrl(raw: string | undefined, field: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' && !(url.protocol === 'data:' && field === 'logo_uri')) throw new Error('scheme');
  } catch {
    throw new InvalidClientInputError(`${field} must be an https URL`);
  }
  return raw;
}

/** Builds provider metadata from admin input, applying Latchkey's client rules. */
export function buildClientMetadata(clientId: string, input: ClientInput, allowedScopes: readonly string[]): AdapterPayload {
  const name = input.name.trim();
  if (name === '' || name.length > 100) throw new InvalidClientInputError('name must be 1 to 100 characters');
  const publicClient = input.publicClient ?? false;
  const redirectUris = (input.redirectUris ?? []).map((uri) => checkRedirectUri(uri, { publicClient, field: 'redirect_uri' }));
  const postLogoutRedirectUris = (input.postLogoutRedirectUris ?? []).map((uri) => checkRedirectUri(uri, { publicClient, field: 'post_logout_redirect_uri' }));

  const requested = input.grantTypes && input.grantTypes.length > 0
    ? input.grantTypes
    : redirectUris.length > 0 ? ['authorization_code', 'refresh_token'] : ['client_credentials'];
  // `device_code` is short for RFC 8628's grant type URN.
  const grantTypes = [...new Set(requested.map((grant) => (grant === 'device_code' ? DEVICE_CODE_GRANT : grant)))].map((grant) => {
    const known = GRANT_TYPES.find((candidate) => candidate === grant);
    if (!known) throw new InvalidClientInputError(`grant_type must be one of ${GRANT_TYPES.join(', ')}; got ${grant}`);
    return known;
  });
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw new InvalidClientInputError('authorization_code needs at least one redirect_uri');
  }
  if (grantTypes.includes('refresh_token') && !grantTypes.includes('authorization_code') && !grantTypes.includes(DEVICE_CODE_GRANT)) {
    throw new InvalidClientInputError('refresh_token is only issued with authorization_code or device_code');
  }
  if (publicClient && grantTypes.includes('client_credentials')) {
    throw new InvalidClientInputError('a public client cannot use client_credentials (it has no secret)');
  }

  const scopes = new Set((input.scope ?? allowedScopes.join(' ')).split(/\s+/).filter(Boolean));
  for (const scope of scopes) {
    if (scope === ADMIN_SCOPE) throw new InvalidClientInputError('the admin scope is granted with --admin, not through --scope');
    if (!allowedScopes.includes(scope)) throw new InvalidClientInputError(`unknown scope ${scope}; known: ${allowedScopes.join(' ')}`);
  }
  if (input.admin) {
    if (publicClient || !grantTypes.includes('client_credentials')) {
      throw new InvalidClientInputError('an admin client must be confidential and use client_credentials');
    }
    scopes.add(ADMIN_SCOPE);
  }
  const fapi2 = input.profile === 'fapi2';
  const jwksUri = checkUrl(input.jwksUri, 'jwks_uri');
  const keyAuth = input.jwks !== undefined || jwksUri !== undefined;
  if (input.jwks !== undefined && jwksUri !== undefined) throw new InvalidClientInputError('give the client\'s keys as jwks or as jwks_uri, not both');
  if (keyAuth && publicClient) throw new InvalidClientInputError('a public client has no keys to authenticate with');
  // A private key handed over by mistake would be stored and shown by `clients show`: refused.
  const leaked = input.jwks?.keys.findIndex(hasPrivateMembers) ?? -1;
  if (leaked >= 0) throw new InvalidClientInputError(`jwks must hold public keys only: key ${leaked} has private members; export the public key`);
  if (fapi2) {
    if (publicClient || !keyAuth) throw new InvalidClientInputError('a FAPI 2.0 client authenticates with private_key_jwt: give its public keys (jwks or jwks_uri)');
    if (input.pkceRequired === false) throw new InvalidClientInputError('a FAPI 2.0 client always uses PKCE');
    if (input.requirePushedRequests === false || input.dpopBoundTokens === false) throw new InvalidClientInputError('a FAPI 2.0 client always pushes its requests and binds its tokens to a DPoP key');
  }
  const requirePushedRequests = fapi2 || (input.requirePushedRequests ?? false);
  const dpopBoundTokens = fapi2 || (input.dpopBoundTokens ?? false);
  const pkceRequired = fapi2 ? true : input.pkceRequired;
  const exchangeAudiences = [...new Set(input.exchangeAudiences ?? [])];
  if (exchangeAudiences.length > 0 && publicClient) {
    throw new InvalidClientInputError('a public client cannot exchange tokens (it has no secret)');
  }
  if (input.exchangeMode !== undefined && exchangeAudiences.length === 0) {
    throw new InvalidClientInputError('an exchange mode needs at least one exchange audience');
  }
  if (publicClient && input.pkceRequired === false) {
    throw new InvalidClientInputError('a public client always uses PKCE (it has no secret to protect its codes)');
  }

  // Native apps (RFC 8252) redirect to private-use schemes or loopback; the provider wants them
  // declared as such.
  const native = publicClient && redirectUris.some((uri) => !uri.startsWith('https://'));
  const logoUri = checkUrl(input.logoUri, 'logo_uri');
  const policyUri = checkUrl(input.policyUri, 'policy_uri');
  const tosUri = checkUrl(input.tosUri, 'tos_uri');
  return {
    client_id: clientId,
    client_name: name,
    client_id_issued_at: Math.floor(Date.now() / 1000),
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    grant_types: exchangeAudiences.length > 0 ? [...grantTypes, TOKEN_EXCHANGE_GRANT] : grantTypes,
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    token_endpoint_auth_method: publicClient ? 'none' : keyAuth ? 'private_key_jwt' : 'client_secret_basic',
    ...(input.jwks !== undefined ? { jwks: { keys: input.jwks.keys.map((key) => ({ ...key })) } } : {}),
    ...(jwksUri !== undefined ? { jwks_uri: jwksUri } : {}),
    // FAPI 2.0 allows PS256, ES256 and EdDSA only; RS256 stays the default for everyone else.
    ...(fapi2 ? { id_token_signed_response_alg: 'ES256', [CLIENT_PROFILE_PROPERTY]: 'fapi2' } : {}),
    application_type: native ? 'native' : 'web',
    scope: [...scopes].join(' '),
    first_party: input.firstParty ?? false,
    [ADMIN_CLIENT_PROPERTY]: input.admin ?? false,
    ...(pkceRequired !== undefined && !publicClient ? { [PKCE_REQUIRED_PROPERTY]: pkceRequired } : {}),
    ...(logoUri ? { logo_uri: logoUri } : {}),
    ...(policyUri ? { policy_uri: policyUri } : {}),
    ...(tosUri ? { tos_uri: tosUri } : {}),
    latchkey_resources: [...new Set(input.resources ?? [])],
    require_pushed_authorization_requests: requirePushedRequests,
    dpop_bound_access_tokens: dpopBoundTokens,
    [EXCHANGE_AUDIENCES_PROPERTY]: exchangeAudiences,
    ...(exchangeAudiences.length > 0 ? { [EXCHANGE_MODE_PROPERTY]: input.exchangeMode ?? 'delegation' } : {}),
  };
}

function isJwks(value: unknown): value is { keys: Record<string, unknown>[] } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys);
}

/** Whether a client authenticates with a secret (client_secret_basic); others have none to show or rotate. */
function hasSecret(metadata: AdapterPayload): boolean {
  return metadata.token_endpoint_auth_method !== 'none' && metadata.token_endpoint_auth_method !== 'private_key_jwt';
}

/** Reads metadata back as admin input, so a partial update can start from what is stored. */
export function toClientInput(metadata: AdapterPayload): ClientInput {
  const scope = String(metadata.scope ?? '').split(' ').filter((value) => value && value !== ADMIN_SCOPE).join(' ');
  return {
    name: String(metadata.client_name ?? metadata.client_id),
    redirectUris: metadata.redirect_uris ?? [],
    postLogoutRedirectUris: metadata.post_logout_redirect_uris ?? [],
    publicClient: metadata.token_endpoint_auth_method === 'none',
    // The exchange grant follows from the exchange audiences; it is not one of the admin's grant types.
    grantTypes: (metadata.grant_types ?? []).filter((grant: string) => grant !== TOKEN_EXCHANGE_GRANT),
    scope,
    // The mark, not the scope: a client that registered itself may once have been given the scope.
    admin: metadata[ADMIN_CLIENT_PROPERTY] === true,
    firstParty: metadata.first_party === true,
    ...(typeof metadata[PKCE_REQUIRED_PROPERTY] === 'boolean' ? { pkceRequired: metadata[PKCE_REQUIRED_PROPERTY] } : {}),
    ...(typeof metadata.logo_uri === 'string' ? { logoUri: metadata.logo_uri } : {}),
    ...(typeof metadata.policy_uri === 'string' ? { policyUri: metadata.policy_uri } : {}),
    ...(typeof metadata.tos_uri === 'string' ? { tosUri: metadata.tos_uri } : {}),
    resources: Array.isArray(metadata.latchkey_resources) ? (metadata.latchkey_resources as string[]) : [],
    requirePushedRequests: metadata.require_pushed_authorization_requests === true,
    dpopBoundTokens: metadata.dpop_bound_access_tokens === true,
    exchangeAudiences: Array.isArray(metadata[EXCHANGE_AUDIENCES_PROPERTY]) ? (metadata[EXCHANGE_AUDIENCES_PROPERTY] as string[]) : [],
    ...(metadata[EXCHANGE_MODE_PROPERTY] === 'impersonation' || metadata[EXCHANGE_MODE_PROPERTY] === 'delegation' ? { exchangeMode: metadata[EXCHANGE_MODE_PROPERTY] } : {}),
    ...(isJwks(metadata.jwks) ? { jwks: metadata.jwks } : {}),
    ...(typeof metadata.jwks_uri === 'string' ? { jwksUri: metadata.jwks_uri } : {}),
    ...(metadata[CLIENT_PROFILE_PROPERTY] === 'fapi2' ? { profile: 'fapi2' as const } : {}),
  };
}

/**
 * Gives an admin client a fresh generation, or keeps `kept`: admin tokens carry the generation
 * they were issued under, so a new one (admin granted anew, secret rotated) ends the old tokens.
 */
function withAdminGeneration(metadata: AdapterPayload, kept?: unknown): AdapterPayload {
  const { [ADMIN_GENERATION_PROPERTY]: _previous, ...rest } = metadata;
  if (rest[ADMIN_CLIENT_PROPERTY] !== true) return rest;
  return { ...rest, [ADMIN_GENERATION_PROPERTY]: typeof kept === 'string' ? kept : randomBytes(16).toString('base64url') };
}

/** Never hand a stored secret (or its ciphertext) back to anyone. */
export function withoutSecret(metadata: AdapterPayload): AdapterPayload {
  const { client_secret: _secret, ...rest } = metadata;
  return rest;
}

/** Client administration shared by the CLI and the admin API. */
export function createClientService(deps: ClientServiceDeps) {
  const store = (): ReturnType<AdapterFactory> => deps.adapter('Client');

  async function find(clientId: string): Promise<AdapterPayload> {
    const metadata = await store().find(clientId);
    if (!metadata) throw new ClientNotFoundError(clientId);
    return metadata;
  }

  async function save(metadata: AdapterPayload): Promise<void> {
    for (const resource of [...((metadata.latchkey_resources as string[] | undefined) ?? []), ...((metadata[EXCHANGE_AUDIENCES_PROPERTY] as string[] | undefined) ?? [])]) {
      if (!(await deps.resourceExists(resource))) throw new InvalidClientInputError(`resource ${resource} is not a registered resource server`);
    }
    try {
      await deps.validate(metadata);
    } catch (error) {
      const description = (error as { error_description?: unknown }).error_description;
      throw new InvalidClientInputError(typeof description === 'string' ? description : 'invalid client metadata');
    }
    await store().upsert(String(metadata.client_id), metadata);
  }

  return {
    async create(input: ClientInput): Promise<CreatedClient> {
      const clientId = `lk_${randomBytes(12).toString('base64url')}`;
      const metadata = withAdminGeneration(buildClientMetadata(clientId, input, deps.allowedScopes));
      const clientSecret = hasSecret(metadata) ? newSecret() : undefined;
      await save(clientSecret ? { ...metadata, client_secret: clientSecret } : metadata);
      return { metadata, ...(clientSecret ? { clientSecret } : {}) };
    },

    async get(clientId: string): Promise<AdapterPayload> {
      return withoutSecret(await find(clientId));
    },

    list: (options: { limit: number; after?: string }): Promise<ClientPage> => deps.directory.list(options),

    async update(clientId: string, patch: Partial<ClientInput>): Promise<AdapterPayload> {
      const current = await find(clientId);
      const merged = { ...toClientInput(current), ...patch };
      const metadata = buildClientMetadata(clientId, merged, deps.allowedScopes);
      const wasPublic = current.token_endpoint_auth_method === 'none';
      if (wasPublic !== (metadata.token_endpoint_auth_method === 'none')) {
        throw new InvalidClientInputError('a client cannot switch between public and confidential; create a new one');
      }
      if (hasSecret(current) !== hasSecret(metadata)) {
        throw new InvalidClientInputError('a client cannot switch between a secret and its own keys; create a new one');
      }
      const wasAdmin = current[ADMIN_CLIENT_PROPERTY] === true;
      const kept = withAdminGeneration({
        ...metadata,
        client_id_issued_at: current.client_id_issued_at,
        ...(typeof current.client_secret === 'string' ? { client_secret: current.client_secret } : {}),
      }, wasAdmin ? current[ADMIN_GENERATION_PROPERTY] : undefined);
      await save(kept);
      return withoutSecret(kept);
    },

    async rotateSecret(clientId: string): Promise<CreatedClient> {
      const current = await find(clientId);
      if (!hasSecret(current)) throw new InvalidClientInputError('this client has no secret to rotate: it is public, or it authenticates with its own keys');
      const clientSecret = newSecret();
      await save(withAdminGeneration({ ...current, client_secret: clientSecret }));
      return { metadata: withoutSecret(current), clientSecret };
    },

    async delete(clientId: string): Promise<void> {
      await find(clientId);
      await store().destroy(clientId);
    },
  };
}

export type ClientService = ReturnType<typeof createClientService>;

import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';

import type { AccountClaimsCache } from '../accounts/account-claims-cache.js';
import type { AuditLog } from '../audit/audit-log.js';
import { auditContextOf } from '../audit/provider-audit.js';
import { publicJwk } from '../keys/public-jwk.js';
import type { ResourceService } from '../resources/resource-service.js';
import { EXCHANGE_AUDIENCES_PROPERTY, EXCHANGE_MODE_PROPERTY, type ExchangeMode } from './client-metadata.js';
import { ACCESS_TOKEN_SIGNING_ALG } from './resource-indicators.js';
import { mayReadToken } from './token-policies.js';
import { checkDpopProof } from './dpop-proof.js';

/** RFC 8693 section 2.1: the grant type of a token exchange. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 section 3: the one token type Latchkey takes and issues. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const PARAMETERS = ['subject_token', 'subject_token_type', 'actor_token', 'actor_token_type', 'requested_token_type', 'resource', 'audience', 'scope'];

/** RFC 8693 section 4.1: who acted, newest first, each earlier actor nested inside. */
interface Actor {
  readonly sub: string;
  readonly act?: Actor;
}

/** What the exchange needs to know about the token it is given. */
interface SubjectToken {
  readonly accountId: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly audiences: readonly string[];
  /** Epoch seconds. */
  readonly exp: number;
  readonly act: Actor | undefined;
}

export interface TokenExchangeDeps {
  readonly resources: Pick<ResourceService, 'lookup'>;
  readonly accounts: Pick<AccountClaimsCache, 'findForTokens'>;
  readonly audit: Pick<AuditLog, 'record'>;
}

function stringParam(ctx: KoaContextWithOIDC, name: string): string | undefined {
  const value = ctx.oidc.params?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return typeof value === 'string' ? [value] : [];
}

function actorOf(value: unknown): Actor | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { sub, act } = value as { sub?: unknown; act?: unknown };
  if (typeof sub !== 'string') return undefined;
  const earlier = actorOf(act);
  return earlier ? { sub, act: earlier } : { sub };
}

function modeOf(client: unknown): ExchangeMode {
  return (client as Record<string, unknown>)[EXCHANGE_MODE_PROPERTY] === 'impersonation' ? 'impersonation' : 'delegation';
}

/**
 * RFC 8693 token exchange: a client (typically a resource server) trades a user's access token
 * for one audienced to another registered resource. What it may ask for is set by an
 * administrator per client (EXCHANGE_AUDIENCES_PROPERTY); the token must be one the client
 * could introspect (its own, or one for a resource that names it an introspector); the new
 * token never outlives the old one, carries no scope the old one lacked, and with delegation
 * names the client in `act`. Each exchange is audited.
 */
export function createTokenExchange(deps: TokenExchangeDeps) {
  // The act claim of a token being issued, for extraTokenClaims (which replaces `extra`).
  const actors = new WeakMap<object, Actor>();

  async function readSubjectToken(provider: Provider, verificationKeys: ReturnType<typeof createLocalJWKSet>, value: string): Promise<SubjectToken> {
    if (value.split('.').length === 3) {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(value, verificationKeys, { issuer: provider.issuer, typ: 'at+jwt', algorithms: [ACCESS_TOKEN_SIGNING_ALG] }));
      } catch {
        throw new errors.InvalidGrant('subject_token is not an active access token from this server');
      }
      const clientId = typeof payload.client_id === 'string' ? payload.client_id : '';
      const sub = typeof payload.sub === 'string' ? payload.sub : '';
      if (!sub || sub === clientId) throw new errors.InvalidGrant('subject_token must be a user\'s access token');
      // A pairwise client's tokens name a pseudonym, not the account.
      const issuedTo = await provider.Client.find(clientId);
      if (!issuedTo || issuedTo.subjectType === 'pairwise') throw new errors.InvalidGrant('subject_token cannot be exchanged: its client uses pairwise subjects');
      return { accountId: sub, clientId, scopes: typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [], audiences: listOf(payload.aud), exp: Number(payload.exp), act: actorOf(payload.act) };
    }
    const token = await provider.AccessToken.find(value);
    if (!token?.isValid || !token.accountId) throw new errors.InvalidGrant('subject_token is not an active access token of a user');
    if (token.grantId && !(await provider.Grant.find(token.grantId))) throw new errors.InvalidGrant('subject_token is not an active access token of a user');
    return { accountId: token.accountId, clientId: token.clientId ?? '', scopes: [...token.scopes].filter(Boolean), audiences: listOf(token.aud), exp: token.exp ?? 0, act: actorOf(token.extra?.act) };
  }

  function handlerFor(provider: Provider, jwks: { keys: readonly JWK[] }) {
    const verificationKeys = createLocalJWKSet({ keys: jwks.keys.map(publicJwk) });

    return async function exchangeToken(ctx: KoaContextWithOIDC): Promise<void> {
      const client = ctx.oidc.client;
      if (!client) throw new errors.InvalidClient('client authentication failed');
      const allowed = listOf((client as unknown as Record<string, unknown>)[EXCHANGE_AUDIENCES_PROPERTY]);
      if (allowed.length === 0) throw new errors.UnauthorizedClient('this client may not exchange tokens');

      const subjectValue = stringParam(ctx, 'subject_token');
      if (!subjectValue) throw new errors.InvalidRequest('subject_token is required');
      if (stringParam(ctx, 'subject_token_type') !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
      const requested = stringParam(ctx, 'requested_token_type');
      if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
      // Checked before anything is looked up, as the provider's own grants do: a bad or missing
      // proof (or nonce) is answered first, and a retry with a nonce repeats no work.
      const proof = await checkDpopProof(provider, ctx);
      // The requesting client is the actor; a separate actor token would let it name another.
      if (stringParam(ctx, 'actor_token') || stringParam(ctx, 'actor_token_type')) throw new errors.InvalidRequest('actor_token is not supported: the authenticated client is the actor');

      const targets = [stringParam(ctx, 'resource'), stringParam(ctx, 'audience')].filter((value): value is string => value !== undefined);
      const [target] = targets;
      if (!target || targets.some((value) => value !== target)) throw new errors.InvalidTarget('name exactly one registered resource in resource or audience');
      const resource = allowed.includes(target) ? await deps.resources.lookup(target) : undefined;
      if (!resource) throw new errors.InvalidTarget('this client may not exchange tokens for that resource');

      const subject = await readSubjectToken(provider, verificationKeys, subjectValue);
      if (!(await mayReadToken(deps.resources, { clientId: subject.clientId, aud: subject.audiences }, client.clientId))) throw new errors.InvalidGrant('subject_token was not issued to this client or for a resource it serves');
      const account = await deps.accounts.findForTokens(subject.accountId);
      if (account?.status !== 'active') throw new errors.InvalidGrant('the account of subject_token is not active');

      const available = subject.scopes.filter((scope) => resource.scopes.includes(scope));
      const asked = stringParam(ctx, 'scope')?.split(' ').filter(Boolean);
      const scopes = asked ?? available;
      if (scopes.length === 0 || scopes.some((scope) => !available.includes(scope))) {
        throw new errors.InvalidScope('the scopes must be ones the subject token has and the resource knows', scopes.join(' '));
      }
      const now = Math.floor(Date.now() / 1000);
      const expiresIn = Math.min(resource.ttlSeconds, subject.exp - now);
      if (expiresIn <= 0) throw new errors.InvalidGrant('subject_token has expired');

      const mode = modeOf(client);
      // Impersonation issues no act of its own, but never hides actors the subject token named.
      const act: Actor | undefined = mode === 'delegation' ? { sub: client.clientId, ...(subject.act ? { act: subject.act } : {}) } : subject.act;

      // The token's own grant, for this client: it is indexed under the account, so ending the
      // account's sessions and grants ends it too, and introspection finds a matching grant.
      const grant = new provider.Grant({ accountId: subject.accountId, clientId: client.clientId });
      grant.addResourceScope(resource.identifier, scopes.join(' '));
      // It lives as long as its one token. BaseToken takes expiresIn; oidc-provider's types omit it for grants.
      Object.assign(grant, { expiresIn });
      const grantId = await grant.save();
      const token = new provider.AccessToken({ accountId: subject.accountId, client, grantId, gty: 'token_exchange', scope: scopes.join(' '), expiresIn });
      token.resourceServer = new provider.ResourceServer(resource.identifier, {
        scope: resource.scopes.join(' '),
        audience: resource.identifier,
        accessTokenFormat: resource.format,
        ...(resource.format === 'jwt' ? { jwt: { sign: { alg: ACCESS_TOKEN_SIGNING_ALG } } } : {}),
      });
      // Bound to the key that made the proof: the new token works only with a proof by that key.
      if (proof) token.setThumbprint('jkt', proof.thumbprint);
      if (act) actors.set(token, act);
      ctx.oidc.entity('AccessToken', token);
      const value = await token.save();

      deps.audit.record({
        ...auditContextOf(ctx),
        type: 'token.exchanged',
        outcome: 'success',
        clientId: client.clientId,
        accountId: subject.accountId,
        details: { audience: resource.identifier, scope: scopes.join(' '), mode, subject_client_id: subject.clientId, expires_in: expiresIn, dpop_bound: proof !== undefined },
      });
      ctx.body = { access_token: value, issued_token_type: ACCESS_TOKEN_TYPE, token_type: token.tokenType, expires_in: expiresIn, scope: scopes.join(' ') };
    };
  }

  return {
    /** Adds the grant to a provider built for this key set. */
    register(provider: Provider, jwks: { keys: readonly JWK[] }): void {
      provider.registerGrantType(TOKEN_EXCHANGE_GRANT, handlerFor(provider, jwks), PARAMETERS);
    },
    /** For extraTokenClaims: the `act` of a token this exchange is issuing. */
    claimsFor(token: object): { act: Actor } | undefined {
      const act = actors.get(token);
      return act ? { act } : undefined;
    },
  };
}

export type TokenExchange = ReturnType<typeof createTokenExchange>;

/**
 * For a provider that only validates client metadata (the CLI's): clients may list the grant
 * type, which it never serves.
 */
export function declareTokenExchangeGrant(provider: Provider): void {
  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, () => {
    throw new errors.UnsupportedGrantType();
  }, PARAMETERS);
}

import type { AdapterFactory, Configuration, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';

import type { AppConfig } from '../config/app-config.js';
import { sendPage } from '../http/send-page.js';
import { message } from '../i18n/message.js';
import type { Renderer } from '../http/renderer.js';
import { buildScopeClaims } from './claims.js';
import { buildDeviceFlowFeature } from './device-flow.js';
import { buildDpopFeature } from './dpop.js';
import { buildFapiFeature, rotateRefreshToken } from './fapi-profile.js';
import type { TokenExchange } from './token-exchange.js';
import { createPairwiseIdentifier } from './pairwise-subject.js';
import { createOutboundFetch } from './outbound-fetch.js';
import { SIGN_IN_ACR } from '../interactions/sign-in-methods.js';
import { buildClientPolicy } from './client-validator.js';
import { createLoadExistingGrant } from './load-existing-grant.js';
import { createLogoutPages } from './logout-pages.js';
import type { RememberedConsents } from './remembered-consents.js';
import { buildRegistrationPolicies } from './registration-policies.js';
import { buildResourceIndicators } from './resource-indicators.js';
import { buildAdminTokenClaims } from './admin-token-claims.js';
import { buildSignInClaims } from './sign-in-claims.js';
import type { ResourceService } from '../resources/resource-service.js';
import { createPkceRequired } from './pkce-policy.js';
import { errorPageFor } from './error-page.js';
import { accountClientMetadata } from './account-client.js';
import { checkRevocationAllowed, createIntrospectionPolicy } from './token-policies.js';

export interface ProviderConfigDeps {
  readonly config: AppConfig;
  readonly adapter: AdapterFactory;
  readonly jwks: { keys: JWK[] };
  readonly findAccount: FindAccount;
  readonly consents: RememberedConsents;
  readonly resources: Pick<ResourceService, 'lookup'>;
  readonly renderer: Renderer;
  /** The secret behind pairwise subjects (oidc/pairwise-subject.ts). */
  readonly pairwiseKey: Buffer;
  /** The key DPoP nonces are derived from (oidc/dpop.ts). */
  readonly dpopNonceKey: Buffer;
  /** RFC 8693 token exchange, registered on the provider by createProvider. */
  readonly tokenExchange: Pick<TokenExchange, 'claimsFor'>;
}

interface ResourceBound {
  readonly resourceServer?: { readonly accessTokenTTL?: number } | undefined;
}

/** A token for a registered resource server lives as long as that server asks; others by default. */
function lifetimeFor(fallback: number) {
  return (_ctx: unknown, token: ResourceBound): number => token.resourceServer?.accessTokenTTL ?? fallback;
}

function buildTtl(config: AppConfig): NonNullable<Configuration['ttl']> {
  const ttl = config.ttl;
  return {
    AccessToken: lifetimeFor(ttl.accessTokenSeconds),
    AuthorizationCode: ttl.authorizationCodeSeconds,
    ClientCredentials: lifetimeFor(ttl.clientCredentialsSeconds),
    IdToken: ttl.idTokenSeconds,
    RefreshToken: ttl.refreshTokenSeconds,
    Session: ttl.sessionSeconds,
    Grant: ttl.grantSeconds,
    Interaction: ttl.interactionSeconds,
    InitialAccessToken: ttl.initialAccessTokenSeconds,
  };
}

function buildFeatures(config: AppConfig, deps: Pick<ProviderConfigDeps, 'renderer' | 'resources' | 'dpopNonceKey'>): NonNullable<Configuration['features']> {
  const { renderer, resources } = deps;
  return {
    // Our own pages handle login and consent; the provider's demo pages must never be served.
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: buildResourceIndicators(resources),
    introspection: { enabled: true, allowedPolicy: createIntrospectionPolicy(resources) },
    revocation: { enabled: true, allowedPolicy: checkRevocationAllowed },
    rpInitiatedLogout: { enabled: true, ...createLogoutPages(renderer) },
    // A client that registered a backchannel_logout_uri hears of every session that ends.
    backchannelLogout: { enabled: true },
    claimsParameter: { enabled: true },
    // Signed userinfo for clients that register userinfo_signed_response_alg.
    jwtUserinfo: { enabled: true },
    // Signed request objects (JAR); unsigned ones are refused, as there is no 'none' algorithm.
    requestObjects: { enabled: true, requireSignedRequestObject: false },
    registration: { enabled: true, initialAccessToken: true, issueRegistrationAccessToken: true, policies: buildRegistrationPolicies(config) },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
    dPoP: buildDpopFeature(config, deps.dpopNonceKey),
    fapi: buildFapiFeature(),
    deviceFlow: buildDeviceFlowFeature(renderer),
  };
}

/** Provider errors as our own error page, without stack traces or internal detail. */
function buildRenderError(renderer: Renderer): NonNullable<Configuration['renderError']> {
  return (ctx: KoaContextWithOIDC, out) => {
    const oidc = ctx.oidc as { route?: string; params?: { ui_locales?: unknown } } | undefined;
    const page = errorPageFor(out.error, oidc?.route);
    const uiLocales = oidc?.params?.ui_locales;
    // The provider's description is for the application's developers, in the protocol's English.
    const description = out.error_description ? message('common.detail', { detail: out.error_description }) : message('errorPage.providerDetail');
    sendPage(ctx, renderer, 'error', { title: page.heading, heading: page.heading, explanation: page.explanation, error: out.error, description, ...(out.error_description ? { descriptionLang: 'en' } : {}) }, typeof uiLocales === 'string' ? { uiLocales } : {});
  };
}

function httpsIssuer(config: AppConfig): boolean {
  return config.issuer.startsWith('https://');
}

/** Assembles oidc-provider's configuration from pure parts; performs no I/O. */
export function buildProviderConfig(deps: ProviderConfigDeps): Configuration {
  const { config } = deps;
  return {
    adapter: deps.adapter,
    // Built in, never stored: the account area's own sign-in (pages/account-pages.ts).
    clients: [accountClientMetadata(config.issuer)],
    jwks: deps.jwks,
    findAccount: deps.findAccount,
    ...buildClientPolicy(config),
    claims: buildScopeClaims(config),
    cookies: {
      keys: [...config.cookieKeys.value],
      // OpenID Connect Core 3.1.2.1: the authorization endpoint takes POST. A cross-site form
      // post carries the session cookie only if it is SameSite=None, which browsers accept only
      // on https; a plain-http issuer (development) keeps Lax and GET alone.
      long: { signed: true, httpOnly: true, sameSite: httpsIssuer(config) ? 'none' : 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    enableHttpPostMethods: httpsIssuer(config),
    acrValues: [SIGN_IN_ACR],
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier: createPairwiseIdentifier(deps.pairwiseKey),
    fetch: createOutboundFetch(config.privateNetworkHosts),
    features: buildFeatures(config, deps),
    loadExistingGrant: createLoadExistingGrant(deps.consents),
    extraTokenClaims: async (ctx, token) => {
      const parts = [await buildSignInClaims(ctx), buildAdminTokenClaims(ctx, token), deps.tokenExchange.claimsFor(token)].filter((part) => part !== undefined);
      return parts.length > 1 ? Object.assign({}, ...parts) as Record<string, unknown> : parts[0];
    },
    conformIdTokenClaims: config.idTokenClaims === 'conform',
    ttl: buildTtl(config),
    pkce: { required: createPkceRequired(config) },
    rotateRefreshToken,
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: buildRenderError(deps.renderer),
    // The languages our pages are written in (views/locales), chosen by ui_locales.
    discovery: { ui_locales_supported: [...deps.renderer.locales], frontchannel_logout_supported: true, frontchannel_logout_session_supported: true },
  };
}

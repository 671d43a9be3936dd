import type Router from '@koa/router';
import Koa, { type Middleware } from 'koa';

import { ADMIN_PREFIX, createAdminRouter, type AdminDeps } from './admin/admin-router.js';
import type { AppConfig } from './config/app-config.js';
import { createClientAddress } from './http/client-address.js';
import { createErrorHandler } from './http/error-handler.js';
import { createBodyLimits } from './http/request-bodies.js';
import { createProviderUnavailableMapping } from './http/store-unavailable.js';
import { createHealthRouter, type ReadinessCheck } from './http/health.js';
import { createMetricsRouter, type Metrics } from './http/metrics.js';
import type { Renderer } from './http/renderer.js';
import { createRequestContext } from './http/request-context.js';
import { isPathUnder, routeByPrefix } from './http/route-by-prefix.js';
import { createSecurityHeaders } from './http/security-headers.js';
import type { InteractionDeps } from './interactions/interaction-deps.js';
import { createInteractionRouter } from './interactions/interaction-router.js';
import { ASSETS_PATH } from './http/page-scripts.js';
import type { Logger } from './logging/create-logger.js';
import { createRequestUriResolver } from './oidc/request-uri.js';
import { PASSWORD_RESET_PATH } from './pages/password-reset-pages.js';
import { ACCOUNT_PATH } from './oidc/account-client.js';
import { DEVICE_PATH } from './oidc/device-flow.js';
import { createProviderDocuments } from './http/provider-documents.js';

// oidc-provider's default route for the public keys.
const JWKS_PATH = '/jwks';
// Discovery changes with a deployment, not with keys (it names jwks_uri, not the keys).
const DISCOVERY_MAX_AGE_SECONDS = 3600;

export interface AppDeps {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly renderer: Renderer;
  /** The provider's middleware, mounted at the root (it follows key reloads). */
  readonly providerMiddleware: Middleware;
  /** The provider in use: its discovery and JWKS are computed once per provider. */
  readonly currentProvider: () => object;
  readonly interactions: InteractionDeps;
  readonly passwordResetPages: Router;
  readonly accountPages: Router;
  readonly homePage: Router;
  readonly pageScripts: Router;
  readonly admin: AdminDeps;
  readonly rateLimits: { readonly interactions: Middleware; readonly token: Middleware; readonly authorization: Middleware };
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly isShuttingDown: () => boolean;
  /** Request counts, kept by this app and served on /metrics (here, or on METRICS_LISTEN). */
  readonly metrics: Metrics;
  /** Routes only some runs have (the dev server's demo callback). */
  readonly extraRoutes?: Router;
  /** With tracing on: names the request's span by route family (tracing/name-request-span.ts). */
  readonly nameRequestSpan?: Middleware;
  /** After a logout, the page that tells each client through its front-channel logout URI. */
  readonly frontchannelLogout?: Middleware;
}

const TOKEN_PATH = '/token';
const AUTHORIZATION_PATH = '/auth';
const DISCOVERY_PATH = '/.well-known/openid-configuration';

/** The host application: middleware order and routes, no I/O of its own. */
export function createApp(deps: AppDeps): Koa {
  // With proxies in front, Koa honours X-Forwarded-Proto and -Host; the client address is ours.
  const app = new Koa({ proxy: deps.config.trustProxy.kind !== 'none', keys: [...deps.config.cookieKeys.value] });
  // Koa would print errors to stderr itself; the request log and error handler already cover them.
  app.silent = true;

  const health = createHealthRouter({ checks: deps.readinessChecks, isShuttingDown: deps.isShuttingDown, logger: deps.logger });
  const interactions = createInteractionRouter({ ...deps.interactions, rateLimit: deps.rateLimits.interactions });

  if (deps.nameRequestSpan) app.use(deps.nameRequestSpan);
  const clientAddress = createClientAddress(deps.config.trustProxy);
  if (clientAddress) app.use(clientAddress);
  app.use(createRequestContext({ logger: deps.logger }));
  app.use(deps.metrics.middleware);
  app.use(createSecurityHeaders({ issuer: deps.config.issuer }));
  app.use(routeByPrefix([
    { prefixes: ['/healthz', '/readyz'], router: health },
    // With a listener of its own (METRICS_LISTEN), /metrics is not served on the public port at all.
    ...(deps.config.metrics.listen ? [] : [{ prefixes: ['/metrics'], router: createMetricsRouter({ metrics: deps.metrics, token: deps.config.metrics.token }) }]),
  ]));
  // Provider endpoints answer their own errors (OAuth error JSON or renderError); this handler
  // catches ours and anything nobody routed.
  app.use(createErrorHandler({ logger: deps.logger, renderer: deps.renderer }));
  // Discovery and JWKS are the most requested documents and are static between key changes:
  // answered here, before the layers that only requests with a body or an audit event need.
  // Verifiers may keep the JWKS for max-age: signing keys are published at least that long
  // before they sign (keys/key-lifecycle.ts), so a cached copy never lacks a signing key.
  app.use(createProviderDocuments({
    current: deps.currentProvider,
    paths: { discovery: DISCOVERY_PATH, jwks: JWKS_PATH },
    maxAgeSeconds: { discovery: DISCOVERY_MAX_AGE_SECONDS, jwks: deps.config.signingKeys.jwksMaxAgeSeconds },
  }));
  app.use(createBodyLimits());
  // Inside the error handler, so that a response whose security events cannot be stored
  // becomes a 503 page or JSON; around every route that records them.
  app.use(deps.admin.audit.requestScope());
  app.use(routeByPrefix([
    { prefixes: ['/interaction'], router: interactions },
    { prefixes: [PASSWORD_RESET_PATH], router: deps.passwordResetPages },
    { prefixes: [ACCOUNT_PATH], router: deps.accountPages },
    { prefixes: [ASSETS_PATH], router: deps.pageScripts },
    { prefixes: ['/'], router: deps.homePage },
    { prefixes: [ADMIN_PREFIX], router: createAdminRouter(deps.admin) },
  ]));
  if (deps.extraRoutes) app.use(deps.extraRoutes.routes());
  app.use(function limitProviderRequests(ctx, next) {
    if (ctx.method === 'POST' && ctx.path === TOKEN_PATH) return deps.rateLimits.token(ctx, next) as Promise<void>;
    // Every authorization request may store an interaction (a sign-in in progress) until it
    // expires: per address, so that one client cannot grow Redis without bound.
    if (isPathUnder(ctx.path, AUTHORIZATION_PATH)) return deps.rateLimits.authorization(ctx, next) as Promise<void>;
    // Each POST to /device checks a typed user code: the sign-in pages' per-address budget
    // (RATE_LIMIT_INTERACTION_PER_MINUTE) keeps guessing one hopeless.
    if (ctx.method === 'POST' && isPathUnder(ctx.path, DEVICE_PATH)) return deps.rateLimits.interactions(ctx, next) as Promise<void>;
    return next();
  });
  app.use(createRequestUriResolver({ authorizationPath: AUTHORIZATION_PATH, discoveryPath: DISCOVERY_PATH, privateNetworkHosts: deps.config.privateNetworkHosts }));
  // Mounted at the root as a plain middleware chain, as koa-mount does without a prefix.
  if (deps.frontchannelLogout) app.use(deps.frontchannelLogout);
  app.use(createProviderUnavailableMapping({ renderer: deps.renderer, providerMiddleware: deps.providerMiddleware }));
  return app;
}

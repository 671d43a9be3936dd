import type Router from '@koa/router';
import Koa, { type Middleware } from 'koa';

import { createAdminRouter, type AdminDeps } from './admin/admin-router.js';
import type { AppConfig } from './config/app-config.js';
import { createErrorHandler } from './http/error-handler.js';
import { createHealthRouter, type ReadinessCheck } from './http/health.js';
import { createMetricsRouter, createRequestMetrics } from './http/metrics.js';
import type { Renderer } from './http/renderer.js';
import { createRequestContext } from './http/request-context.js';
import { createSecurityHeaders } from './http/security-headers.js';
import type { InteractionDeps } from './interactions/interaction-deps.js';
import { createInteractionRouter } from './interactions/interaction-router.js';
import type { Logger } from './logging/create-logger.js';

export interface AppDeps {
  readonly config: AppConfig;
  readonly logger: Logger;
  readonly renderer: Renderer;
  /** The provider's middleware, mounted at the root (it follows key reloads). */
  readonly providerMiddleware: Middleware;
  readonly interactions: InteractionDeps;
  readonly admin: AdminDeps;
  readonly rateLimits: { readonly interactions: Middleware; readonly token: Middleware };
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly isShuttingDown: () => boolean;
  /** Routes only some runs have (the dev server's demo callback). */
  readonly extraRoutes?: Router;
}

const TOKEN_PATH = '/token';

/** The host application: middleware order and routes, no I/O of its own. */
export function createApp(deps: AppDeps): Koa {
  const app = new Koa({ proxy: deps.config.trustProxy, keys: [...deps.config.cookieKeys.value] });
  // Koa would print errors to stderr itself; the request log and error handler already cover them.
  app.silent = true;

  const health = createHealthRouter({ checks: deps.readinessChecks, isShuttingDown: deps.isShuttingDown });
  const interactions = createInteractionRouter({ ...deps.interactions, rateLimit: deps.rateLimits.interactions });

  const requests = createRequestMetrics();
  app.use(createRequestContext({ logger: deps.logger }));
  app.use(requests.middleware);
  app.use(createSecurityHeaders({ issuer: deps.config.issuer }));
  app.use(health.routes());
  app.use(createMetricsRouter({ requests, auditStats: () => deps.admin.audit.stats() }).routes());
  // Provider endpoints answer their own errors (OAuth error JSON or renderError); this handler
  // catches ours and anything nobody routed.
  app.use(createErrorHandler({ logger: deps.logger, renderer: deps.renderer }));
  app.use(interactions.routes());
  app.use(createAdminRouter(deps.admin).routes());
  if (deps.extraRoutes) app.use(deps.extraRoutes.routes());
  app.use(async function limitTokenRequests(ctx, next) {
    if (ctx.method === 'POST' && ctx.path === TOKEN_PATH) return deps.rateLimits.token(ctx, next);
    return next();
  });
  // Mounted at the root as a plain middleware chain, as koa-mount does without a prefix.
  app.use(deps.providerMiddleware);
  return app;
}

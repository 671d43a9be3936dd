import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { Middleware } from 'koa';

import { routeFamily } from '../http/route-family.js';

export const ROUTE_FAMILY_ATTRIBUTE = 'latchkey.route_family';

/**
 * Names the request's server span by route family ("POST token"), as /metrics labels it: the
 * HTTP instrumentation alone would name most spans by method only, since oidc-provider's routes
 * are not the host's router. A Koa route template, where one matched, still wins at the end.
 */
export function createRequestSpanNaming(): Middleware {
  return async function nameRequestSpan(ctx, next) {
    // The HTTP instrumentation leaves its server span here for frameworks to name.
    const metadata = getRPCMetadata(context.active());
    if (metadata?.type === RPCType.HTTP) {
      const family = routeFamily(ctx.path);
      metadata.span.updateName(`${ctx.method} ${family}`);
      metadata.span.setAttribute(ROUTE_FAMILY_ATTRIBUTE, family);
    }
    await next();
  };
}

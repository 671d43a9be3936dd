import type Router from '@koa/router';
import type { Middleware } from 'koa';

export interface PrefixRoute {
  /** Path prefixes ('/account' takes /account and /account/...); '/' takes the root path only. */
  readonly prefixes: readonly string[];
  readonly router: Router;
}

function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end === -1 ? path : path.slice(0, end);
}

/** Whether `path` is `prefix` or under it ('/account/x' is under '/account', '/accounts' is not; '/' is the root only). */
export function isPathUnder(path: string, prefix: string): boolean {
  if (prefix === '/') return path === '/';
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * Hands a request to the router whose prefix its path is under, or else to what follows. Most
 * requests (token, introspection, JWKS) belong to the provider, and each middleware layer costs
 * on every request: one lookup by the path's first segment stands in for a layer per router.
 */
export function routeByPrefix(routes: readonly PrefixRoute[]): Middleware {
  const bySegment = new Map<string, Array<{ prefix: string; routes: ReturnType<Router['routes']> }>>();
  for (const { prefixes, router } of routes) {
    const dispatch = router.routes();
    for (const prefix of prefixes) {
      const segment = firstSegment(prefix);
      bySegment.set(segment, [...(bySegment.get(segment) ?? []), { prefix, routes: dispatch }]);
    }
  }
  return function routeByPrefix(ctx, next) {
    const match = bySegment.get(firstSegment(ctx.path))?.find(({ prefix }) => isPathUnder(ctx.path, prefix));
    if (!match) return next();
    // The router adds its own context members (params, router) when it runs; Koa's type lacks them.
    return match.routes(ctx as Parameters<typeof match.routes>[0], next) as Promise<void>;
  };
}

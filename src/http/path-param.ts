import type { Context } from 'koa';

/** A path parameter of the route (`:id`): @koa/router puts them on ctx.params, typed loosely. */
export function pathParam(ctx: Context, name: string): string {
  const value: unknown = (ctx as Context & { params?: Record<string, unknown> }).params?.[name];
  if (typeof value !== 'string') throw new Error(`route has no :${name} parameter`);
  return value;
}

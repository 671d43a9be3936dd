import type { Context } from 'koa';
import type { z } from 'zod';

/** One admin API operation: the router registers it and the OpenAPI document describes it. */
export interface AdminRoute {
  readonly method: 'get' | 'post' | 'patch' | 'delete';
  /** Koa-style path under /admin/v1, e.g. /clients/:id. */
  readonly path: string;
  readonly summary: string;
  readonly tag: 'clients' | 'users' | 'resources' | 'audit';
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Status of a successful answer. */
  readonly status: 200 | 201 | 204;
  handle(ctx: Context, input: { query: unknown; body: unknown }): Promise<unknown>;
}


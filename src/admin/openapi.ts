import { z } from 'zod';

import type { AdminRoute } from './admin-route.js';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
};

/** Koa's /clients/:id as OpenAPI's /clients/{id}. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

function schemaOf(type: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(type, { io: 'input' }) as Record<string, unknown>;
  return schema;
}

function queryParameters(route: AdminRoute): unknown[] {
  if (!route.query) return [];
  const schema = schemaOf(route.query) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}

/** The OpenAPI 3.1 document, derived from the same route table the router serves. */
export function buildOpenApiDocument(routes: readonly AdminRoute[], serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    const pathParameters = [...route.path.matchAll(/:([A-Za-z_]+)/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));
    paths[path] ??= {};
    paths[path][route.method] = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method}${path.replace(/[{}]/g, '').split('/').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('')}`,
      parameters: [...pathParameters, ...queryParameters(route)],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body) } } } } : {}),
      responses: {
        [String(route.status)]: route.status === 204 ? { description: 'Done' } : { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } },
        400: { description: 'Invalid input', content: { 'application/json': { schema: ERROR_SCHEMA } } },
        401: { description: 'No valid bearer token', content: { 'application/json': { schema: ERROR_SCHEMA } } },
        403: { description: 'Token lacks the admin scope', content: { 'application/json': { schema: ERROR_SCHEMA } } },
        404: { description: 'Not found', content: { 'application/json': { schema: ERROR_SCHEMA } } },
      },
      security: [{ bearer: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Latchkey admin API', version: '1' },
    servers: [{ url: serverUrl }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A client-credentials access token with the admin scope' } } },
    paths,
  };
}

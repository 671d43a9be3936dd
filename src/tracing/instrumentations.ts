import type { Attributes } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { KoaInstrumentation } from '@opentelemetry/instrumentation-koa';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { ATTR_URL_FULL, ATTR_URL_PATH, ATTR_URL_QUERY } from '@opentelemetry/semantic-conventions';

/**
 * The modules the instrumentations patch when they are imported from ESM (import-in-the-middle
 * wraps only these). mongodb is required by mongoose, which require-in-the-middle covers.
 */
export const INSTRUMENTED_IMPORTS: readonly string[] = ['http', 'https', 'koa', 'ioredis'];

/** What a database statement attribute says instead of the statement. */
export const STATEMENT_NOT_RECORDED = 'not recorded';

const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Redis keys name tokens, codes and sessions by id, and an opaque access token's id is the
 * bearer token itself: a span says which command ran, never on what.
 */
export function redisStatement(commandName: string): string {
  return commandName;
}

/**
 * Attributes that replace what the HTTP instrumentation would record of an incoming URL: the
 * query (codes, state, hints) and the path (password reset and email links carry their token in
 * it). An undefined value is dropped when the span starts. The route family and Koa's route
 * template say which endpoint it was.
 */
export function withoutRequestUrl(): Attributes {
  return { [ATTR_URL_PATH]: undefined, [ATTR_URL_QUERY]: undefined };
}

/** The same for outgoing requests (a client's request_uri or jwks_uri): the host and port stay. */
export function withoutOutgoingUrl(): Attributes {
  return { [ATTR_URL_FULL]: undefined };
}

/**
 * The instrumentations, configured so that no secret reaches a span: no headers (none are
 * listed for capture), no query strings or paths, no Redis arguments, no MongoDB values.
 * Constructing them installs their module hooks, so this runs before the patched modules load.
 */
export function createInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({
      // Health checks and scrapes every few seconds would drown the requests worth tracing.
      ignoreIncomingRequestHook: (request) => OPS_PATHS.has((request.url ?? '').split('?')[0] ?? ''),
      startIncomingSpanHook: withoutRequestUrl,
      startOutgoingSpanHook: withoutOutgoingUrl,
      requireParentforOutgoingSpans: true,
    }),
    new KoaInstrumentation(),
    new IORedisInstrumentation({ dbStatementSerializer: redisStatement, requireParentSpan: true }),
    // The default statement keeps field names and replaces values with "?"; field names are not
    // needed to follow a trace, and a statement recorded nowhere cannot leak.
    new MongoDBInstrumentation({ enhancedDatabaseReporting: false, dbStatementSerializer: () => STATEMENT_NOT_RECORDED, requireParentSpan: true }),
  ];
}

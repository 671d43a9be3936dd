import { timingSafeEqual } from 'node:crypto';

import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Connection } from 'mongoose';
import type Provider from 'oidc-provider';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { AuditLog } from '../audit/audit-log.js';
import type { RedisClient } from '../storage/redis-connection.js';
import { timeRedisCommands, type RedisCommandObserver } from '../storage/redis-command-timing.js';
import { createPlainHistogram, type PlainSeries } from './plain-histogram.js';
import { linkToPool, type PrimaryChannel } from './pool-metrics.js';
import { routeFamily } from './route-family.js';

/**
 * This process's metrics (prom-client): requests and their latency by route family, tokens
 * issued by grant type, sign-ins by outcome, Redis and MongoDB command latency, the audit trail, and
 * prom-client's default process and Node.js metrics. One registry per container, never the
 * global one.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Counts and times every request (outermost, so errors and 404s count too). */
  readonly middleware: Middleware;
  /** Counts the tokens a provider issues; called for every provider built (keys change). */
  watchProvider(provider: Provider): void;
  /** Times every command of this Redis connection (or cluster). */
  watchRedis(client: RedisClient): void;
  /** Times MongoDB commands (the connection was opened with monitorCommands). */
  watchMongo(connection: Connection): void;
  /** What /metrics answers: this process's metrics, or in a worker pool the whole pool's. */
  scrape(): Promise<string>;
  /** Stops answering the pool's primary (a worker that is shutting down). */
  close(): void;
}

// Audit types that are sign-in outcomes, as the sign-in counter labels them.
const SIGN_IN_OUTCOMES: Readonly<Record<string, string>> = {
  'login.succeeded': 'success',
  'login.password_failed': 'wrong_password',
  'login.second_factor_failed': 'wrong_code',
  'login.throttled': 'throttled',
};

// Grant types as oidc-provider names them; anything else is counted as "other".
const GRANT_TYPES = new Set(['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange']);

const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

// Redis answers in well under a millisecond when healthy; commands time out at 1.5 s.
const REDIS_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

// Command names become label values as they are first seen; past this many (a script calling
// arbitrary commands through `call`, say) the rest share "other", so the series stay bounded.
const MAX_REDIS_COMMANDS = 40;

/** Request counts and latency per (route family, status class), each series looked up once. */
function createRequestSeries(registry: Registry) {
  const histogram = createPlainHistogram(registry, {
    name: 'latchkey_http_request_duration_seconds',
    help: 'Time to answer a request, by route family and status class.',
    buckets: LATENCY_BUCKETS,
    counter: { name: 'latchkey_http_requests_total', help: 'Requests answered, by route family and status class.' },
  });
  const series = new Map<string, PlainSeries>();
  return {
    observe(route: string, statusClass: number, seconds: number): void {
      const key = `${route}|${statusClass}`;
      let entry = series.get(key);
      if (!entry) {
        entry = histogram.series({ route, status: `${statusClass}xx` });
        series.set(key, entry);
      }
      entry.observe(seconds);
    },
  };
}

/** Redis command latency per (command, outcome); a command's pair of series is found by one Map lookup. */
function createRedisSeries(registry: Registry): RedisCommandObserver {
  const histogram = createPlainHistogram(registry, {
    name: 'latchkey_redis_command_duration_seconds',
    help: 'Redis command round trips as the client saw them (sent to answer or error), by command and outcome.',
    buckets: REDIS_LATENCY_BUCKETS,
  });
  interface Outcomes { readonly ok: PlainSeries; readonly error: PlainSeries }
  const outcomesOf = (command: string): Outcomes => ({ ok: histogram.series({ command, outcome: 'ok' }), error: histogram.series({ command, outcome: 'error' }) });
  // Keyed by the name as sent; "GET" and "get" share the series of "get".
  const byName = new Map<string, Outcomes>();
  let labels = 0;
  let other: Outcomes | undefined;
  const seriesFor = (name: string): Outcomes => {
    const known = byName.get(name);
    if (known) return known;
    const label = name.toLowerCase();
    let outcomes = byName.get(label);
    if (!outcomes) {
      // Not remembered under its name either: every later command of it finds "other" the same way.
      if (labels >= MAX_REDIS_COMMANDS) return (other ??= outcomesOf('other'));
      labels += 1;
      outcomes = outcomesOf(label);
      byName.set(label, outcomes);
    }
    byName.set(name, outcomes);
    return outcomes;
  };
  return (command, failed, seconds) => {
    const outcomes = seriesFor(command);
    (failed ? outcomes.error : outcomes.ok).observe(seconds);
  };
}

/**
 * With `pool` (a worker of WEB_CONCURRENCY > 1), a scrape asks the primary for every worker's
 * metrics, added up: one worker's share alone would undercount by the pool's size.
 */
export function createMetrics(deps: { readonly audit: Pick<AuditLog, 'stats' | 'spoolLength'>; readonly pool?: { readonly channel: PrimaryChannel; readonly workers: number } }): Metrics {
  const registry = new Registry();
  const pool = deps.pool ? linkToPool({ channel: deps.pool.channel, registry, workers: deps.pool.workers }) : undefined;
  collectDefaultMetrics({ register: registry });
  const requests = createRequestSeries(registry);
  const redisCommands = createRedisSeries(registry);
  const tokens = new Counter({ name: 'latchkey_tokens_issued_total', help: 'Token endpoint successes, by grant type.', labelNames: ['grant_type'] as const, registers: [registry] });
  const mongoLatency = new Histogram({
    name: 'latchkey_mongodb_command_duration_seconds',
    help: 'MongoDB command round trips as the driver saw them, by command and outcome.',
    labelNames: ['command', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const audit = deps.audit;
  // The audit log keeps its own counts; these read them at each scrape.
  new Counter({ name: 'latchkey_audit_events_written_total', help: 'Audit events stored in MongoDB.', registers: [registry], collect() { this.reset(); this.inc(audit.stats().written); } });
  new Counter({ name: 'latchkey_audit_events_dropped_total', help: 'Audit events that could not be stored (logged only).', registers: [registry], collect() { this.reset(); this.inc(audit.stats().dropped); } });
  new Counter({ name: 'latchkey_audit_events_spooled_total', help: 'Audit events this process put in the Redis spool while MongoDB was unavailable.', registers: [registry], collect() { this.reset(); this.inc(audit.stats().spooled); } });
  new Gauge({ name: 'latchkey_audit_events_buffered', help: 'Audit events waiting to be written.', registers: [registry], collect() { this.set(audit.stats().buffered); } });
  // The spool lives in Redis; a scrape while Redis is down reports it as unknown (-1). Every
  // worker of a pool reads the same spool, so their readings are not added up.
  new Gauge({ name: 'latchkey_audit_spool_length', help: 'Audit events waiting in the Redis spool for MongoDB (all instances).', aggregator: 'max', registers: [registry], async collect() { this.set(await audit.spoolLength().catch(() => -1)); } });
  new Counter({
    name: 'latchkey_audit_events_total',
    help: 'Audit events recorded, by type, whether stored or only logged.',
    labelNames: ['type'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [type, count] of audit.stats().byType) this.inc({ type }, count);
    },
  });
  new Counter({
    name: 'latchkey_sign_ins_total',
    help: 'Sign-in steps by outcome: success, wrong_password, wrong_code, throttled.',
    labelNames: ['outcome'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const byType = audit.stats().byType;
      for (const [type, outcome] of Object.entries(SIGN_IN_OUTCOMES)) this.inc({ outcome }, byType.get(type) ?? 0);
    },
  });

  return {
    registry,
    middleware: async function measureRequests(ctx, next) {
      const started = performance.now();
      try {
        await next();
      } finally {
        requests.observe(routeFamily(ctx.path), Math.floor(ctx.status / 100), (performance.now() - started) / 1000);
      }
    },
    watchProvider(provider) {
      provider.on('grant.success', (ctx) => {
        const grantType: unknown = ctx.oidc.params?.grant_type;
        tokens.inc({ grant_type: typeof grantType === 'string' && GRANT_TYPES.has(grantType) ? grantType : 'other' });
      });
    },
    watchRedis(client) {
      timeRedisCommands(client, redisCommands);
    },
    watchMongo(connection) {
      const client = connection.getClient();
      const started = new Map<number, number>();
      client.on('commandStarted', (event) => started.set(event.requestId, performance.now()));
      const finish = (event: { requestId: number; commandName: string }, outcome: string): void => {
        const at = started.get(event.requestId);
        started.delete(event.requestId);
        if (at !== undefined) mongoLatency.observe({ command: event.commandName, outcome }, (performance.now() - at) / 1000);
      };
      client.on('commandSucceeded', (event) => finish(event, 'ok'));
      client.on('commandFailed', (event) => finish(event, 'error'));
    },
    scrape: () => (pool ? pool.scrape() : registry.metrics()),
    close() {
      pool?.close();
    },
  };
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * GET /metrics in the Prometheus text format; with `token` set (METRICS_TOKEN) only for a
 * scraper that sends it as a bearer token.
 */
export function createMetricsRouter(deps: { metrics: Metrics; token?: string | undefined }): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    if (deps.token !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('authorization'));
      if (!match?.[1] || !sameToken(match[1], deps.token)) {
        ctx.status = 401;
        ctx.set('WWW-Authenticate', 'Bearer realm="latchkey-metrics"');
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: 'invalid_token', error_description: 'GET /metrics needs the bearer token set in METRICS_TOKEN' };
        return;
      }
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.scrape();
  });
  return router;
}

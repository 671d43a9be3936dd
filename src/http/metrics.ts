import { timingSafeEqual } from 'node:crypto';

import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Connection } from 'mongoose';
import type Provider from 'oidc-provider';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { AuditLog } from '../audit/audit-log.js';

/**
 * This process's metrics (prom-client): requests and their latency by route family, tokens
 * issued by grant type, sign-ins by outcome, MongoDB command latency, the audit trail, and
 * prom-client's default process and Node.js metrics. One registry per container, never the
 * global one.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Counts and times every request (outermost, so errors and 404s count too). */
  readonly middleware: Middleware;
  /** Counts the tokens a provider issues; called for every provider built (keys change). */
  watchProvider(provider: Provider): void;
  /** Times MongoDB commands (the connection was opened with monitorCommands). */
  watchMongo(connection: Connection): void;
}

function familyOf(path: string): string {
  if (path.startsWith('/interaction/')) return 'interaction';
  if (path.startsWith('/admin/')) return 'admin';
  if (path === '/token' || path.startsWith('/token/')) return path === '/token' ? 'token' : path.slice(1).replace('/', '_');
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return 'ops';
  if (path.startsWith('/.well-known/')) return 'discovery';
  const first = path.split('/')[1] ?? '';
  return ['auth', 'jwks', 'me', 'reg', 'session', 'account', 'password-reset'].includes(first) ? first : 'other';
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

interface Series {
  readonly route: string;
  readonly status: string;
  count: number;
  sum: number;
  /** Per bucket (not cumulative); the last slot is +Inf. */
  readonly buckets: number[];
}

/**
 * Request counts and the latency histogram, kept as plain numbers per (route, status) and
 * turned into prom-client's form only when scraped: prom-client's own labelled metrics hash
 * their labels on every observation, which measurably slowed the fastest endpoints (JWKS).
 */
function createRequestSeries(registry: Registry) {
  const series = new Map<string, Series>();
  const values = (name: string, help: string, type: 'counter' | 'histogram', toValues: (entry: Series) => Array<{ labels: Record<string, string>; value: number; metricName?: string }>) => ({
    name,
    help,
    type,
    aggregator: 'sum' as const,
    get: async () => ({ name, help, type, aggregator: 'sum' as const, values: [...series.values()].flatMap(toValues) }),
    reset: () => undefined,
  });
  const counter = values('latchkey_http_requests_total', 'Requests answered, by route family and status class.', 'counter', (entry) => [{ labels: { route: entry.route, status: entry.status }, value: entry.count }]);
  const histogram = values('latchkey_http_request_duration_seconds', 'Time to answer a request, by route family and status class.', 'histogram', (entry) => {
    let cumulative = 0;
    const labels = { route: entry.route, status: entry.status };
    return [
      ...LATENCY_BUCKETS.map((le, index) => {
        cumulative += entry.buckets[index] ?? 0;
        return { labels: { le: String(le), ...labels }, value: cumulative, metricName: 'latchkey_http_request_duration_seconds_bucket' };
      }),
      { labels: { le: '+Inf', ...labels }, value: entry.count, metricName: 'latchkey_http_request_duration_seconds_bucket' },
      { labels, value: entry.sum, metricName: 'latchkey_http_request_duration_seconds_sum' },
      { labels, value: entry.count, metricName: 'latchkey_http_request_duration_seconds_count' },
    ];
  });
  // prom-client renders any registered object with a name and get() in its text format; these
  // two are such objects rather than its classes (see above), hence the cast.
  registry.registerMetric(counter as unknown as Parameters<Registry['registerMetric']>[0]);
  registry.registerMetric(histogram as unknown as Parameters<Registry['registerMetric']>[0]);
  return {
    observe(route: string, statusClass: number, seconds: number): void {
      const key = `${route}|${statusClass}`;
      let entry = series.get(key);
      if (!entry) {
        entry = { route, status: `${statusClass}xx`, count: 0, sum: 0, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0) };
        series.set(key, entry);
      }
      entry.count += 1;
      entry.sum += seconds;
      let index = 0;
      while (index < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[index] ?? Infinity)) index += 1;
      entry.buckets[index] = (entry.buckets[index] ?? 0) + 1;
    },
  };
}

export function createMetrics(deps: { readonly audit: Pick<AuditLog, 'stats' | 'spoolLength'> }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = createRequestSeries(registry);
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
  // The spool lives in Redis; a scrape while Redis is down reports it as unknown (-1).
  new Gauge({ name: 'latchkey_audit_spool_length', help: 'Audit events waiting in the Redis spool for MongoDB (all instances).', registers: [registry], async collect() { this.set(await audit.spoolLength().catch(() => -1)); } });
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
        requests.observe(familyOf(ctx.path), Math.floor(ctx.status / 100), (performance.now() - started) / 1000);
      }
    },
    watchProvider(provider) {
      provider.on('grant.success', (ctx) => {
        const grantType: unknown = ctx.oidc.params?.grant_type;
        tokens.inc({ grant_type: typeof grantType === 'string' && GRANT_TYPES.has(grantType) ? grantType : 'other' });
      });
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
    ctx.body = await deps.metrics.registry.metrics();
  });
  return router;
}

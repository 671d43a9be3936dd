import { timingSafeEqual } from 'node:crypto';

import Router from '@koa/router';
import type { Middleware } from 'koa';

import type { AuditLog } from '../audit/audit-log.js';

/** Request counts by route family and status class, kept in this process. */
export interface RequestMetrics {
  readonly middleware: Middleware;
  snapshot(): ReadonlyMap<string, number>;
}

function familyOf(path: string): string {
  if (path.startsWith('/interaction/')) return 'interaction';
  if (path.startsWith('/admin/')) return 'admin';
  if (path === '/token' || path.startsWith('/token/')) return path === '/token' ? 'token' : path.slice(1).replace('/', '_');
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return 'ops';
  if (path.startsWith('/.well-known/')) return 'discovery';
  const first = path.split('/')[1] ?? '';
  return ['auth', 'jwks', 'me', 'reg', 'session'].includes(first) ? first : 'other';
}

export function createRequestMetrics(): RequestMetrics {
  const counts = new Map<string, number>();
  return {
    middleware: async function countRequests(ctx, next) {
      try {
        await next();
      } finally {
        const key = `${familyOf(ctx.path)}|${Math.floor(ctx.status / 100)}xx`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    },
    snapshot: () => counts,
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
/** A label value as the Prometheus text format wants it. */
function label(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`));
}

export function createMetricsRouter(deps: { requests: RequestMetrics; audit: Pick<AuditLog, 'stats' | 'spoolLength'>; token?: string | undefined }): Router {
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
    const audit = deps.audit.stats();
    // The spool lives in Redis; a scrape while Redis is down reports it as unknown (-1).
    const spoolLength = await deps.audit.spoolLength().catch(() => -1);
    const memory = process.memoryUsage();
    const lines = [
      '# HELP latchkey_http_requests_total Requests answered, by route family and status class.',
      '# TYPE latchkey_http_requests_total counter',
      ...[...deps.requests.snapshot()].map(([key, value]) => {
        const [family, status] = key.split('|');
        return `latchkey_http_requests_total{route="${family}",status="${status}"} ${value}`;
      }),
      '# HELP latchkey_audit_events_written_total Audit events stored in MongoDB.',
      '# TYPE latchkey_audit_events_written_total counter',
      `latchkey_audit_events_written_total ${audit.written}`,
      '# HELP latchkey_audit_events_dropped_total Audit events that could not be stored (logged only).',
      '# TYPE latchkey_audit_events_dropped_total counter',
      `latchkey_audit_events_dropped_total ${audit.dropped}`,
      '# HELP latchkey_audit_events_spooled_total Audit events this process put in the Redis spool while MongoDB was unavailable.',
      '# TYPE latchkey_audit_events_spooled_total counter',
      `latchkey_audit_events_spooled_total ${audit.spooled}`,
      '# HELP latchkey_audit_spool_length Audit events waiting in the Redis spool for MongoDB (all instances).',
      '# TYPE latchkey_audit_spool_length gauge',
      `latchkey_audit_spool_length ${spoolLength}`,
      '# HELP latchkey_audit_events_total Audit events recorded, by type, whether stored or only logged.',
      '# TYPE latchkey_audit_events_total counter',
      ...[...audit.byType].map(([type, count]) => `latchkey_audit_events_total{type="${label(type)}"} ${count}`),
      '# HELP latchkey_audit_events_buffered Audit events waiting to be written.',
      '# TYPE latchkey_audit_events_buffered gauge',
      `latchkey_audit_events_buffered ${audit.buffered}`,
      '# HELP process_resident_memory_bytes Resident memory size in bytes.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${memory.rss}`,
      '# HELP nodejs_heap_used_bytes V8 heap in use.',
      '# TYPE nodejs_heap_used_bytes gauge',
      `nodejs_heap_used_bytes ${memory.heapUsed}`,
      '# HELP process_uptime_seconds Seconds since the process started.',
      '# TYPE process_uptime_seconds gauge',
      `process_uptime_seconds ${Math.round(process.uptime())}`,
    ];
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/plain; version=0.0.4';
    ctx.body = `${lines.join('\n')}\n`;
  });
  return router;
}

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { runCli } from '../../src/cli/main.js';
import { Browser, expectPage } from '../support/browser.js';
import { basicAuthorization } from '../support/register-client.js';
import { findFreePort, makeTempDir, requireEnv, uniqueMongoUri } from '../support/test-env.js';

// Automatic instrumentation patches modules as a real process loads them, which Jest's module
// registry never does: only a server in a process of its own shows that koa, ioredis and mongodb
// are traced.
const MAIN = ['--import', 'tsx', 'src/main.ts'];
const REFUSE_OPENTELEMETRY = ['--import', './test/support/refuse-opentelemetry.mjs'];

interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly scope: string;
  readonly service: unknown;
  readonly attributes: Readonly<Record<string, unknown>>;
}

interface OtlpValue {
  readonly stringValue?: string;
  readonly intValue?: string | number;
  readonly boolValue?: boolean;
  readonly doubleValue?: number;
  readonly arrayValue?: unknown;
}
interface OtlpAttribute {
  readonly key: string;
  readonly value: OtlpValue;
}
interface OtlpTraces {
  readonly resourceSpans: ReadonlyArray<{
    readonly resource: { readonly attributes: readonly OtlpAttribute[] };
    readonly scopeSpans: ReadonlyArray<{
      readonly scope: { readonly name: string };
      readonly spans: ReadonlyArray<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes: readonly OtlpAttribute[] }>;
    }>;
  }>;
}

const SPAN_KIND_SERVER = 2;

function toAttributes(attributes: readonly OtlpAttribute[]): Record<string, unknown> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue ?? value.arrayValue]));
}

// Where OTLP/HTTP exporters send when no endpoint is configured.
const OTLP_DEFAULT_PORT = 4318;

/** An OTLP/HTTP receiver (JSON encoding) that keeps every span it is sent. */
async function startReceiver(port = 0): Promise<{ url: string; spans: ExportedSpan[]; requests: () => number; close: () => Promise<void> }> {
  const spans: ExportedSpan[] = [];
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests += 1;
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const traces = JSON.parse(body) as OtlpTraces;
      for (const resourceSpans of traces.resourceSpans) {
        const service = toAttributes(resourceSpans.resource.attributes)['service.name'];
        for (const scopeSpans of resourceSpans.scopeSpans) {
          for (const span of scopeSpans.spans) {
            spans.push({ ...span, scope: scopeSpans.scope.name, service, attributes: toAttributes(span.attributes) });
          }
        }
      }
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests: () => requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function runServer(args: readonly string[], env: Record<string, string>): { listening: Promise<void>; stop: () => Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  const listening = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('latchkey listening')) resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then(({ code }) => reject(new Error(`server exited (${code}) before listening:\n${stdout}\n${stderr}`)));
  });
  return {
    listening,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Creates clients with the CLI, in the database the server will use. */
async function createClient(env: Record<string, string>, args: readonly string[]): Promise<{ client_id: string; client_secret: string }> {
  let stdout = '';
  const code = await runCli(['clients', 'create', ...args, '--json'], { env, stdout: (text) => (stdout += text), stderr: () => undefined, readStdin: async () => '' });
  expect(code).toBe(0);
  return JSON.parse(stdout) as { client_id: string; client_secret: string };
}

/** Whether `span` descends from `ancestor` within the spans exported. */
function descendsFrom(span: ExportedSpan, ancestor: ExportedSpan, spans: readonly ExportedSpan[]): boolean {
  const byId = new Map(spans.map((each) => [each.spanId, each]));
  let current: ExportedSpan | undefined = span;
  while (current?.parentSpanId) {
    if (current.parentSpanId === ancestor.spanId) return true;
    current = byId.get(current.parentSpanId);
  }
  return false;
}

describe('OpenTelemetry tracing in a running server', () => {
  let keys: { path: string; remove: () => Promise<void> };
  let env: Record<string, string>;
  let port: number;

  beforeEach(async () => {
    keys = await makeTempDir();
    port = await findFreePort();
    env = {
      NODE_ENV: 'test',
      PORT: String(port),
      KEYS_DIR: keys.path,
      REDIS_URL: requireEnv('REDIS_URL'),
      MONGODB_URI: uniqueMongoUri(),
      // The CLI and the server must share them: the client secret is encrypted with the data key.
      COOKIE_KEYS: randomBytes(32).toString('base64url'),
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    };
  });

  afterEach(async () => {
    await keys.remove();
  });

  it('sends HTTP, Koa, ioredis and MongoDB spans of one trace per request, with nothing secret in them, flushed at shutdown', async () => {
    const receiver = await startReceiver();
    const service = await createClient(env, ['--name', 'Tracing robot', '--grant-type', 'client_credentials', '--scope', 'openid']);
    const web = await createClient(env, ['--name', 'Tracing web', '--redirect-uri', 'http://localhost:9/cb', '--scope', 'openid']);
    // The exporter's default 5 s batch delay outlasts the test: spans arrive only if shutdown flushes them.
    const server = runServer(MAIN, { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    try {
      await server.listening;
      const base = `http://127.0.0.1:${port}`;
      const tokenResponse = await fetch(`${base}/token`, {
        method: 'POST',
        headers: { Authorization: basicAuthorization(service.client_id, service.client_secret), 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      expect(tokenResponse.status).toBe(200);
      const { access_token: accessToken } = (await tokenResponse.json()) as { access_token: string };

      const state = randomBytes(16).toString('base64url');
      const nonce = randomBytes(16).toString('base64url');
      const authorization = new URL(`${base}/auth`);
      for (const [name, value] of Object.entries({ client_id: web.client_id, redirect_uri: 'http://localhost:9/cb', response_type: 'code', scope: 'openid', state, nonce })) {
        authorization.searchParams.set(name, value);
      }
      const page = expectPage(await new Browser().open(authorization.toString()));
      expect(page.status).toBe(200);
      const interactionUid = new URL(page.url).pathname.split('/')[2] ?? '';
      expect(interactionUid).not.toBe('');

      const stopped = await server.stop();
      expect(stopped.code).toBe(0);

      const { spans } = receiver;
      expect(spans.length).toBeGreaterThan(0);
      expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['latchkey']));

      // What a trace backend must never see: the token, the client's secret, what the
      // authorization request carried, the interaction's id, Redis keys.
      const secrets = [accessToken, service.client_secret, web.client_secret, state, nonce, interactionUid];
      for (const span of spans) {
        const text = JSON.stringify([span.name, span.attributes]);
        for (const secret of secrets) expect(text).not.toContain(secret);
        expect(text).not.toContain('lk:');
        expect(span.attributes).not.toHaveProperty('url.query');
        expect(span.attributes).not.toHaveProperty('url.path');
        expect(span.attributes).not.toHaveProperty('url.full');
      }

      const tokenSpan = spans.find((span) => span.kind === SPAN_KIND_SERVER && span.name === 'POST token');
      expect(tokenSpan?.attributes).toMatchObject({ 'latchkey.route_family': 'token', 'http.request.method': 'POST', 'http.response.status_code': 200 });
      if (!tokenSpan) throw new Error('no server span for the token request');
      const inTokenTrace = spans.filter((span) => span.traceId === tokenSpan.traceId && descendsFrom(span, tokenSpan, spans));
      const scopes = new Set(inTokenTrace.map((span) => span.scope));
      expect(scopes).toEqual(new Set(['@opentelemetry/instrumentation-koa', '@opentelemetry/instrumentation-ioredis', '@opentelemetry/instrumentation-mongodb']));
      expect(inTokenTrace.find((span) => span.scope.endsWith('mongodb'))?.attributes).toMatchObject({ 'db.system.name': 'mongodb', 'db.collection.name': 'clients', 'db.query.text': 'not recorded' });
      expect(inTokenTrace.filter((span) => span.scope.endsWith('ioredis')).every((span) => span.attributes['db.query.text'] === span.attributes['db.operation.name'])).toBe(true);

      const pageSpans = spans.filter((span) => span.kind === SPAN_KIND_SERVER && span.attributes['latchkey.route_family'] === 'interaction');
      expect(pageSpans.length).toBeGreaterThan(0);
      const authSpan = spans.find((span) => span.kind === SPAN_KIND_SERVER && span.attributes['latchkey.route_family'] === 'auth');
      if (!authSpan) throw new Error('no server span for the authorization request');
      expect(spans.some((span) => span.scope.endsWith('ioredis') && descendsFrom(span, authSpan, spans))).toBe(true);

    } finally {
      await server.stop();
      await receiver.close();
    }
  }, 60_000);

  it('with no OTLP endpoint loads no OpenTelemetry module and sends nothing', async () => {
    // On the port an SDK started without an endpoint would export to.
    const receiver = await startReceiver(OTLP_DEFAULT_PORT);
    const server = runServer([...REFUSE_OPENTELEMETRY, ...MAIN], { ...env, OTEL_SERVICE_NAME: 'latchkey' });
    try {
      await server.listening;
      const response = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
      expect(response.status).toBe(200);
      const stopped = await server.stop();
      expect(stopped.code).toBe(0);
      expect(stopped.stderr).not.toMatch(/OpenTelemetry/);
      expect(receiver.requests()).toBe(0);
    } finally {
      await server.stop();
      await receiver.close();
    }
  }, 60_000);
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { context, SpanKind, trace } from '@opentelemetry/api';
import { RPCType, setRPCMetadata } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, type NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import Koa from 'koa';

import { buildTracerProvider } from '../../../src/tracing/build-tracer-provider.js';
import { redisStatement, withoutRequestUrl } from '../../../src/tracing/instrumentations.js';
import { createRequestSpanNaming, ROUTE_FAMILY_ATTRIBUTE } from '../../../src/tracing/name-request-span.js';

// Jest's ESM registry bypasses the loader hooks that patch http and koa, so the server span the
// HTTP instrumentation would open is opened here by hand, the way it does: a SERVER span with
// its RPC metadata in the context. test/e2e/tracing.test.ts covers the real instrumentation.
describe('tracing: the request span, with an in-memory exporter', () => {
  const exporter = new InMemorySpanExporter();
  let provider: NodeTracerProvider;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    provider = buildTracerProvider(new SimpleSpanProcessor(exporter));
    provider.register();
    const tracer = provider.getTracer('test-http');
    const app = new Koa();
    app.use(async function openServerSpan(ctx, next) {
      const span = tracer.startSpan(ctx.method, { kind: SpanKind.SERVER });
      const active = setRPCMetadata(trace.setSpan(context.active(), span), { type: RPCType.HTTP, span });
      try {
        await context.with(active, next);
      } finally {
        span.end();
      }
    });
    app.use(createRequestSpanNaming());
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => exporter.reset());

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  it.each([
    ['POST', '/token', 'POST token', 'token'],
    ['GET', '/interaction/Xa1b2c3/login', 'GET interaction', 'interaction'],
    ['GET', '/password-reset/a-reset-token', 'GET password-reset', 'password-reset'],
    ['GET', '/.well-known/openid-configuration', 'GET discovery', 'discovery'],
  ])('names %s %s "%s" by its route family, under service latchkey', async (method, path, name, family) => {
    expect((await fetch(`${base}${path}`, { method })).status).toBe(200);
    const [span, ...others] = exporter.getFinishedSpans();
    expect(others).toEqual([]);
    expect(span?.name).toBe(name);
    expect(span?.attributes).toEqual({ [ROUTE_FAMILY_ATTRIBUTE]: family });
    expect(span?.resource.attributes[ATTR_SERVICE_NAME]).toBe('latchkey');
  });

  it('leaves spans alone outside a traced request', async () => {
    const app = new Koa();
    app.use(createRequestSpanNaming());
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const bare = createServer(app.callback());
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    try {
      expect((await fetch(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/token`)).status).toBe(200);
      expect(exporter.getFinishedSpans()).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => bare.close(() => resolve()));
    }
  });

  it('drops the URL path and query the HTTP instrumentation would record', () => {
    // The instrumentation merges the start hook's attributes over its own, as here; an undefined
    // value must then leave the attribute out of the span entirely.
    const recorded = { 'url.path': '/password-reset/a-reset-token', 'url.query': 'code=a-code&state=a-state', 'http.request.method': 'GET' };
    provider.getTracer('test-http').startSpan('GET', { kind: SpanKind.SERVER, attributes: Object.assign(recorded, withoutRequestUrl()) }).end();
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes).toEqual({ 'http.request.method': 'GET' });
  });

  it('records a Redis command by name only, never its key or arguments', () => {
    expect(redisStatement('get')).toBe('get');
  });

  it('takes the service name from OTEL_SERVICE_NAME when set', async () => {
    const before = process.env.OTEL_SERVICE_NAME;
    process.env.OTEL_SERVICE_NAME = 'latchkey-eu';
    try {
      const named = buildTracerProvider(new SimpleSpanProcessor(exporter));
      named.getTracer('test').startSpan('x').end();
      expect(exporter.getFinishedSpans()[0]?.resource.attributes[ATTR_SERVICE_NAME]).toBe('latchkey-eu');
      await named.shutdown();
    } finally {
      if (before === undefined) delete process.env.OTEL_SERVICE_NAME;
      else process.env.OTEL_SERVICE_NAME = before;
    }
  });
});

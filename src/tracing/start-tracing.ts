import { register } from 'node:module';

import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { Middleware } from 'koa';

import { buildTracerProvider } from './build-tracer-provider.js';
import { createInstrumentations, INSTRUMENTED_IMPORTS } from './instrumentations.js';
import { createRequestSpanNaming } from './name-request-span.js';

/** Tracing as the server sees it: a middleware for the app and a way to flush at shutdown. */
export interface Tracing {
  readonly nameRequestSpan: Middleware;
  /** Exports the spans still buffered and stops, giving up after timeoutMs. */
  shutdown(timeoutMs: number): Promise<void>;
}

/**
 * Starts tracing for this process. Must run before koa, ioredis and mongoose are first imported:
 * the instrumentations patch them as they load (import-in-the-middle for ESM imports, through a
 * loader hook registered here; require-in-the-middle for what CommonJS packages require).
 * The OTLP exporter reads the standard OTEL_EXPORTER_OTLP_* variables itself.
 */
export function startTracing(spanProcessor: SpanProcessor = new BatchSpanProcessor(new OTLPTraceExporter())): Tracing {
  // Only the instrumented modules are wrapped; every other import loads as it would untraced.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: [...INSTRUMENTED_IMPORTS] } });
  const provider = buildTracerProvider(spanProcessor);
  provider.register();
  registerInstrumentations({ tracerProvider: provider, instrumentations: createInstrumentations() });
  return {
    nameRequestSpan: createRequestSpanNaming(),
    async shutdown(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      await Promise.race([provider.shutdown(), deadline]);
      clearTimeout(timer);
    },
  };
}

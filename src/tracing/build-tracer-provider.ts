import { detectResources, envDetector, resourceFromAttributes, serviceInstanceIdDetector } from '@opentelemetry/resources';
import { NodeTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export const SERVICE_NAME = 'latchkey';

/**
 * The tracer provider, with the span processor given (batching to OTLP in a server, an in-memory
 * exporter in tests). The service is `latchkey` unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES
 * say otherwise: OpenTelemetry's own environment detector reads those, as operators expect.
 * Each process gets a service.instance.id of its own, so a pool's workers can be told apart.
 */
export function buildTracerProvider(spanProcessor: SpanProcessor): NodeTracerProvider {
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVICE_NAME }).merge(detectResources({ detectors: [serviceInstanceIdDetector, envDetector] }));
  return new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
}

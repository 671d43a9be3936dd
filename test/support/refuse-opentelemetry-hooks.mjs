// Loader hooks for refuse-opentelemetry.mjs.
export async function resolve(specifier, context, nextResolve) {
  if (specifier.includes('@opentelemetry/')) throw new Error(`OpenTelemetry imported with tracing off: ${specifier}`);
  return nextResolve(specifier, context);
}

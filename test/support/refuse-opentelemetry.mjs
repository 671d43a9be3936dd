// `node --import ./test/support/refuse-opentelemetry.mjs`: any import of an OpenTelemetry package
// fails, so a server that starts under it loaded none (tracing off must cost nothing).
import { register } from 'node:module';

register('./refuse-opentelemetry-hooks.mjs', import.meta.url);

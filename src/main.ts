import cluster from 'node:cluster';

import { ConfigError } from './config/config-error.js';
import { loadConfig } from './config/load-config.js';
import { withDevSecrets } from './dev/dev-secrets.js';
import { createLogger } from './logging/create-logger.js';
import { errorMessage } from './logging/error-message.js';
import { runWorkerPool } from './worker-pool.js';

// This module imports nothing that loads koa, ioredis or mongoose: with tracing on, those must
// load only after the instrumentations are in place, which is why the server is imported below.

function fail(message: string): never {
  process.stderr.write(`latchkey: ${message}\n`);
  process.exit(1);
}

async function main(argv: readonly string[]): Promise<void> {
  const dev = argv.includes('--dev');
  let config;
  let devSecretsFile: string | undefined;
  try {
    const prepared = withDevSecrets(process.env);
    devSecretsFile = prepared.file;
    config = loadConfig(prepared.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(`configuration error: ${error.message}`);
    throw error;
  }
  if (dev && config.mode === 'production') fail('`npm run dev` cannot run with NODE_ENV=production');
  if (dev && config.webConcurrency > 1) fail('`npm run dev` runs one process; unset WEB_CONCURRENCY');

  if (config.webConcurrency > 1 && cluster.isPrimary) {
    // The primary serves nothing: its workers re-run this entry, and each starts its own tracing.
    runWorkerPool({ count: config.webConcurrency, logger: createLogger(config.logLevel), shutdownTimeoutSeconds: config.shutdownTimeoutSeconds });
    return;
  }
  // Without an OTLP endpoint no OpenTelemetry module is even loaded.
  const tracing = config.tracing ? (await import('./tracing/start-tracing.js')).startTracing() : undefined;
  const { runServer } = await import('./run-server.js');
  await runServer({ config, dev, devSecretsFile, tracing });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  fail(errorMessage(error));
});

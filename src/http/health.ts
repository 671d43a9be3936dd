import Router from '@koa/router';

import type { Logger } from '../logging/create-logger.js';
import { errorMessage } from '../logging/error-message.js';

/** A dependency that must answer for the instance to take traffic. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2000;

type CheckResult = 'ok' | 'down' | 'timeout';

// /readyz is public: it says which dependency failed and how, never the driver's own words
// (addresses, hosts, versions), which go to the log instead.
async function runCheck(check: ReadinessCheck, logger: Logger): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CHECK_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([check.check().then(() => 'ok' as const), timeout]);
    if (result === 'timeout') logger.warn({ dependency: check.name, timeoutMs: CHECK_TIMEOUT_MS }, 'readiness check did not answer in time');
    return result;
  } catch (error) {
    logger.warn({ dependency: check.name, err: { message: errorMessage(error) } }, 'readiness check failed');
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz says the process is up; /readyz says whether Redis and MongoDB answer. */
export function createHealthRouter(deps: { checks: readonly ReadinessCheck[]; isShuttingDown: () => boolean; logger: Logger }): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const results = await Promise.all(deps.checks.map(async (check) => [check.name, await runCheck(check, deps.logger)] as const));
    const checks = Object.fromEntries(results);
    const ready = !deps.isShuttingDown() && results.every(([, result]) => result === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', shutting_down: deps.isShuttingDown(), checks };
  });
  return router;
}

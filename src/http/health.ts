import Router from '@koa/router';
import { errorMessage } from '../logging/error-message.js';

/** A dependency that must answer for the instance to take traffic. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2000;

async function runCheck(check: ReadinessCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check.check(), timeout]);
    return 'ok';
  } catch (error) {
    return `down: ${errorMessage(error)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz says the process is up; /readyz says whether Redis and MongoDB answer. */
export function createHealthRouter(deps: { checks: readonly ReadinessCheck[]; isShuttingDown: () => boolean }): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const results = await Promise.all(deps.checks.map(async (check) => [check.name, await runCheck(check)] as const));
    const checks = Object.fromEntries(results);
    const ready = !deps.isShuttingDown() && results.every(([, result]) => result === 'ok');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', shutting_down: deps.isShuttingDown(), checks };
  });
  return router;
}

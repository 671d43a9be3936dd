import type { Context } from 'koa';

import { readForm } from '../http/read-form.js';
import type { InteractionDeps } from './interaction-deps.js';
import { checkCsrf, finishInteraction, loadInteraction, redirectToInteraction } from './interaction-page.js';

/**
 * POST /interaction/:uid/restart ("not you?"): forgets the account this sign-in had reached and
 * shows the login page again, for the same application request.
 */
export function createRestartSignIn(deps: InteractionDeps) {
  return async function restartSignIn(ctx: Context): Promise<void> {
    const details = await loadInteraction(ctx, deps);
    checkCsrf(deps, details.uid, await readForm(ctx));
    await deps.loginStates.delete(details.uid);
    redirectToInteraction(ctx, details.uid);
  };
}

/** POST /interaction/:uid/abort: the user cancels; the application receives access_denied. */
export function createAbortInteraction(deps: InteractionDeps) {
  return async function abortInteraction(ctx: Context): Promise<void> {
    const details = await loadInteraction(ctx, deps);
    checkCsrf(deps, details.uid, await readForm(ctx));
    await deps.loginStates.delete(details.uid);
    await finishInteraction(ctx, deps, { error: 'access_denied', error_description: 'End-User aborted interaction' });
  };
}

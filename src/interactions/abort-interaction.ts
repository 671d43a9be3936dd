import type { Context } from 'koa';

import { readForm } from '../http/read-form.js';
import type { InteractionDeps } from './interaction-deps.js';
import { checkCsrf, finishInteraction, loadInteraction } from './interaction-page.js';

/** POST /interaction/:uid/abort: the user cancels; the application receives access_denied. */
export function createAbortInteraction(deps: InteractionDeps) {
  return async function abortInteraction(ctx: Context): Promise<void> {
    const details = await loadInteraction(ctx, deps);
    checkCsrf(deps, details.uid, await readForm(ctx));
    await deps.loginStates.delete(details.uid);
    await finishInteraction(ctx, deps, { error: 'access_denied', error_description: 'End-User aborted interaction' });
  };
}

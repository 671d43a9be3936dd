import Router from '@koa/router';
import type { Middleware } from 'koa';

import { createAbortInteraction, createRestartSignIn } from './abort-interaction.js';
import { createAcknowledgeRecoveryCodes, createEnrolPasskey } from './acknowledge-recovery-codes.js';
import type { InteractionDeps } from './interaction-deps.js';
import { createShowInteraction } from './show-interaction.js';
import { createSubmitConsent } from './submit-consent.js';
import { createSubmitEnrolment } from './submit-enrolment.js';
import { createSubmitLogin } from './submit-login.js';
import { createSubmitPasskey, createSubmitSecondFactor } from './submit-second-factor.js';

/** The login and consent pages. Every POST passes the per-IP rate limit first. */
export function createInteractionRouter(deps: InteractionDeps & { rateLimit: Middleware }): Router {
  const router = new Router({ prefix: '/interaction/:uid' });
  router.get('/', createShowInteraction(deps));
  router.post('/login', deps.rateLimit, createSubmitLogin(deps));
  router.post('/second-factor', deps.rateLimit, createSubmitSecondFactor(deps));
  router.post('/passkey', deps.rateLimit, createSubmitPasskey(deps));
  router.post('/enrol', deps.rateLimit, createSubmitEnrolment(deps));
  router.post('/recovery-codes', deps.rateLimit, createAcknowledgeRecoveryCodes(deps));
  router.post('/passkey-enrol', deps.rateLimit, createEnrolPasskey(deps));
  router.post('/consent', deps.rateLimit, createSubmitConsent(deps));
  router.post('/abort', deps.rateLimit, createAbortInteraction(deps));
  router.post('/restart', deps.rateLimit, createRestartSignIn(deps));
  return router;
}

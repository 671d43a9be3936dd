import Router from '@koa/router';

import { PAGE_CONTENT_SECURITY_POLICY } from '../http/security-headers.js';
import type { Renderer } from '../http/renderer.js';

/**
 * Where oidc-provider sends a browser that needs to log in. Until the login pages land, it says
 * plainly that sign-in is unavailable instead of failing with a 404.
 */
export function createInteractionRouter(deps: { renderer: Renderer }): Router {
  const router = new Router();
  router.get('/interaction/:uid', (ctx) => {
    ctx.status = 503;
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = deps.renderer.render('interaction-unavailable', { title: 'Sign in', uid: ctx.params.uid });
  });
  return router;
}

import type { KoaContextWithOIDC } from 'oidc-provider';

import { PAGE_CONTENT_SECURITY_POLICY } from '../http/security-headers.js';
import type { Renderer } from '../http/renderer.js';

/** The RP-initiated logout confirmation and "signed out" pages, in our templates. */
export function createLogoutPages(renderer: Renderer) {
  const send = (ctx: KoaContextWithOIDC, view: string, model: Record<string, unknown>): void => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
    ctx.body = renderer.render(view, model);
  };
  return {
    logoutSource(ctx: KoaContextWithOIDC, form: string): void {
      send(ctx, 'logout', { title: 'Sign out', form, clientName: ctx.oidc.client?.clientName });
    },
    // With client_id, the person chose to leave that application only: the session stays.
    postLogoutSuccessSource(ctx: KoaContextWithOIDC): void {
      send(ctx, 'logged-out', { title: 'Signed out', clientName: ctx.oidc.client?.clientName });
    },
  };
}

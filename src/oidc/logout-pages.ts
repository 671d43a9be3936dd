import type { KoaContextWithOIDC } from 'oidc-provider';

import type { Renderer } from '../http/renderer.js';
import { sendPage } from '../http/send-page.js';
import { clientDisplayName } from './account-client.js';

function uiLocalesOf(ctx: KoaContextWithOIDC): string | undefined {
  const value: unknown = ctx.oidc?.params?.ui_locales;
  return typeof value === 'string' ? value : undefined;
}

/** The RP-initiated logout confirmation and "signed out" pages, in our templates. */
export function createLogoutPages(renderer: Renderer) {
  const send = (ctx: KoaContextWithOIDC, view: string, model: Record<string, unknown>): void => {
    const uiLocales = uiLocalesOf(ctx);
    sendPage(ctx, renderer, view, model, uiLocales ? { uiLocales } : {});
  };
  return {
    logoutSource(ctx: KoaContextWithOIDC, form: string): void {
      send(ctx, 'logout', { title: 'logout.title', form, clientName: clientDisplayName(ctx.oidc.client) });
    },
    // With client_id, the person chose to leave that application only: the session stays.
    postLogoutSuccessSource(ctx: KoaContextWithOIDC): void {
      send(ctx, 'logged-out', { title: 'loggedOut.title', clientName: clientDisplayName(ctx.oidc.client) });
    },
  };
}

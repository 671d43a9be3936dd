import type { Context, Middleware, Next } from 'koa';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

import type { Renderer } from '../http/renderer.js';
import { sendPage } from '../http/send-page.js';
import { FRONTCHANNEL_LOGOUT_URI, FRONTCHANNEL_SESSION_REQUIRED } from './frontchannel-metadata.js';

/** Where oidc-provider confirms an RP-initiated logout (its end_session_confirm route). */
const CONFIRM_PATH = '/session/end/confirm';

interface EndedAuthorization {
  readonly clientId: string;
  readonly sid: string;
}

interface FrontchannelState {
  frontchannelLogout?: EndedAuthorization[];
}

/**
 * Remembers, as the session ends, which clients it was signed in to and under which sid: by the
 * time the answer is written the session is gone. Only a logout of the whole session (the
 * logout page's "sign out everywhere") tells every client; leaving one application does not.
 */
export function watchFrontchannelLogout(provider: Provider): void {
  // A client that asks for iss and sid on its logout URI needs the sid in its ID tokens to match
  // them against. oidc-provider puts it there for back-channel clients only (Client#includeSid);
  // this provider's own Client class is told about front-channel ones too.
  const prototype = provider.Client.prototype as unknown as { includeSid: (this: Record<string, unknown>) => boolean };
  const includesSidFor = prototype.includeSid;
  prototype.includeSid = function includeSid(this: Record<string, unknown>): boolean {
    return includesSidFor.call(this) || (typeof this[FRONTCHANNEL_LOGOUT_URI] === 'string' && this[FRONTCHANNEL_SESSION_REQUIRED] === true);
  };
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const { session, params } = ctx.oidc;
    if (!session || !params?.logout) return;
    const ended = Object.keys(session.authorizations ?? {}).flatMap((clientId) => {
      const sid = session.sidFor(clientId);
      return sid ? [{ clientId, sid }] : [];
    });
    (ctx.state as FrontchannelState).frontchannelLogout = ended;
  });
}

/**
 * After a logout, instead of the provider's redirect: a page that loads each client's
 * frontchannel_logout_uri (with iss and sid) in an invisible frame, then goes on to where the
 * provider was sending the browser. No script: a meta refresh, and a link for when it is slow.
 */
export function createFrontchannelLogoutPage(deps: { readonly renderer: Renderer; readonly currentProvider: () => Provider; readonly issuer: string }): Middleware {
  // Only the logout confirmation can end in this page: every other request passes straight on.
  const pageAfterLogout = async (ctx: Context, next: Next): Promise<void> => {
    await next();
    if (ctx.status !== 303) return;
    const ended = (ctx.state as FrontchannelState).frontchannelLogout ?? [];
    if (ended.length === 0) return;
    const frames: Array<{ src: string; title: string }> = [];
    for (const { clientId, sid } of ended) {
      const client = await deps.currentProvider().Client.find(clientId);
      const uri = (client as unknown as Record<string, unknown> | undefined)?.[FRONTCHANNEL_LOGOUT_URI];
      if (!client || typeof uri !== 'string') continue;
      const target = new URL(uri);
      target.searchParams.set('iss', deps.issuer);
      target.searchParams.set('sid', sid);
      frames.push({ src: target.toString(), title: client.clientName ?? client.clientId });
    }
    if (frames.length === 0) return;
    const onwards = ctx.response.get('Location');
    ctx.remove('Location');
    sendPage(ctx, deps.renderer, 'logging-out', { title: 'loggingOut.title', frames, onwards }, { status: 200, frameOrigins: [...new Set(frames.map((frame) => new URL(frame.src).origin))] });
  };
  return function frontchannelLogout(ctx, next) {
    return ctx.method === 'POST' && ctx.path === CONFIRM_PATH ? pageAfterLogout(ctx, next) : next();
  };
}

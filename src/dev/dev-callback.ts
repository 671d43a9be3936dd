import { createHash, randomBytes } from 'node:crypto';
import Router from '@koa/router';

import type { DemoClient } from '../clients/seed-demo-client.js';
import type { Renderer } from '../http/renderer.js';
import { sendPage } from '../http/send-page.js';
import { message } from '../i18n/message.js';

/** The demo client's side of the code flow, so a newcomer sees the round trip end to end. */
export interface DevRelyingParty {
  readonly authorizationUrl: string;
  readonly router: Router;
}

function decodeJwtPayload(jwt: string): unknown {
  const payload = jwt.split('.')[1];
  return payload ? JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) : undefined;
}

/** Development only: builds the authorization URL printed at start and the page that redeems its code. */
export function createDevRelyingParty(deps: { issuer: string; client: DemoClient; renderer: Renderer }): DevRelyingParty {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const url = new URL(`${deps.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: deps.client.clientId,
    response_type: 'code',
    redirect_uri: deps.client.redirectUri,
    scope: 'openid email profile',
    // The scope claims belong in userinfo; a relying party that wants them in the ID token asks.
    claims: JSON.stringify({ id_token: { email: null, email_verified: null, name: null } }),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();

  const router = new Router();
  router.get('/dev/callback', async (ctx) => {
    const render = (model: Record<string, unknown>): void => sendPage(ctx, deps.renderer, 'dev-callback', { title: 'dev.title', ...model });
    const detail = (text: string) => message('common.detail', { detail: text });
    if (typeof ctx.query.error === 'string') return render({ error: detail(`${ctx.query.error}: ${String(ctx.query.error_description ?? '')}`) });
    if (ctx.query.state !== state || typeof ctx.query.code !== 'string') return render({ error: message('dev.foreignCallback') });
    const response = await fetch(`${deps.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${deps.client.clientId}:${deps.client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: ctx.query.code, redirect_uri: deps.client.redirectUri, code_verifier: verifier }),
    });
    const tokens = (await response.json()) as { id_token?: string; error?: string; error_description?: string };
    if (!response.ok || !tokens.id_token) return render({ error: detail(`${tokens.error ?? response.status}: ${tokens.error_description ?? ''}`) });
    render({ claims: JSON.stringify(decodeJwtPayload(tokens.id_token), null, 2) });
  });
  return { authorizationUrl: url.toString(), router };
}

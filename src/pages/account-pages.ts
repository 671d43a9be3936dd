import { createHash, randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import type { Context } from 'koa';

import type { AccountService } from '../accounts/account-service.js';
import type { Renderer } from '../http/renderer.js';
import { PAGE_CONTENT_SECURITY_POLICY } from '../http/security-headers.js';

/**
 * The account area signs people in the way every application does, through the provider as a
 * client of its own: the same password and second factor, the same session (so someone signed in
 * for an application is signed in here, and signing out here signs out there).
 */
export const ACCOUNT_CLIENT_ID = 'latchkey-account';
export const ACCOUNT_PATH = '/account';

/** The account area's client, built into the provider's configuration (never stored). */
export function accountClientMetadata(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Your account',
    redirect_uris: [`${issuer}${ACCOUNT_PATH}/callback`],
    post_logout_redirect_uris: [`${issuer}/`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid',
    first_party: true,
  };
}

const LABELS: Readonly<Record<string, string>> = {
  name: 'Name', given_name: 'Given name', family_name: 'Family name', middle_name: 'Middle name', nickname: 'Nickname',
  preferred_username: 'Username', profile: 'Profile page', picture: 'Picture', website: 'Website', gender: 'Gender',
  birthdate: 'Birthdate', zoneinfo: 'Time zone', locale: 'Language', phone_number: 'Phone', address: 'Address',
};

function formatAddress(address: Record<string, unknown>): string {
  if (typeof address.formatted === 'string') return address.formatted;
  return ['street_address', 'postal_code', 'locality', 'region', 'country'].map((part) => address[part]).filter((part) => typeof part === 'string').join(', ');
}

export function createAccountPages(deps: { readonly provider: () => Provider; readonly accounts: Pick<AccountService, 'findById'>; readonly renderer: Renderer; readonly issuer: string }): Router {
  const router = new Router({ prefix: ACCOUNT_PATH });
  const page = (ctx: Context, view: string, model: Record<string, unknown>): void => {
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
    ctx.body = deps.renderer.render(view, model);
  };

  router.get('/', async (ctx) => {
    const session = await deps.provider().Session.get(ctx);
    const account = session.accountId ? await deps.accounts.findById(session.accountId) : undefined;
    if (!account || account.status !== 'active') {
      ctx.redirect(`${ACCOUNT_PATH}/sign-in`);
      return;
    }
    const profile = [
      ...(account.name ? [{ claim: 'name', label: LABELS.name, value: account.name }] : []),
      ...Object.entries(account.profile).map(([claim, value]) => ({
        claim,
        label: LABELS[claim] ?? claim,
        value: claim === 'address' && typeof value === 'object' && value !== null ? formatAddress(value as Record<string, unknown>) : String(value),
      })).filter((entry) => entry.claim !== 'phone_number_verified'),
    ];
    const signOut = new URL(`${deps.issuer}/session/end`);
    signOut.search = new URLSearchParams({ client_id: ACCOUNT_CLIENT_ID, post_logout_redirect_uri: `${deps.issuer}/` }).toString();
    page(ctx, 'account', { title: 'Your account', email: account.email, profile, signOutHref: signOut.toString() });
  });

  // Starts a sign-in as the account area's client; the code it ends with is never needed,
  // because the provider's session cookie is what the account area reads.
  router.get('/sign-in', (ctx) => {
    const url = new URL(`${deps.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: `${deps.issuer}${ACCOUNT_PATH}/callback`,
      code_challenge: createHash('sha256').update(randomBytes(32)).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    ctx.redirect(url.toString());
  });

  router.get('/callback', (ctx) => {
    // A cancelled or refused sign-in goes back to the start page, not round into another one.
    ctx.redirect(typeof ctx.query.error === 'string' ? '/' : ACCOUNT_PATH);
  });

  return router;
}

/** GET /: what this is, and the way to one's account. */
export function createHomePage(deps: { readonly renderer: Renderer }): Router {
  const router = new Router();
  router.get('/', (ctx) => {
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', PAGE_CONTENT_SECURITY_POLICY);
    ctx.body = deps.renderer.render('home', { title: 'Latchkey' });
  });
  return router;
}

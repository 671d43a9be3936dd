import { generate } from 'otplib';
import * as oidc from 'openid-client';

import { Browser, expectPage, expectRedirect, type Page } from './browser.js';

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';

export interface AuthorizationRequest {
  readonly url: string;
  readonly verifier: string;
  readonly state: string;
}

/** What a relying party does before sending the browser to Latchkey: PKCE, state, the URL. */
export async function buildAuthorizationRequest(config: oidc.Configuration, params: Record<string, string> = {}): Promise<AuthorizationRequest> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  return { url: url.toString(), verifier, state };
}

/** A TOTP code for `offsetSteps` steps from now: tests use the next step to avoid replays of their own. */
export async function totpCode(secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offsetSteps * 30 });
}

export async function openLogin(browser: Browser, request: AuthorizationRequest): Promise<Page> {
  const page = expectPage(await browser.open(request.url));
  if (!page.document.querySelector('input[name="password"]')) throw new Error(`expected the login page, got:\n${page.html}`);
  return page;
}

export async function submitPassword(browser: Browser, page: Page, email: string, password: string): Promise<Page> {
  return expectPage(await browser.submit(page, { containing: 'input[name="password"]', fields: { email, password } }));
}

export async function submitCode(browser: Browser, page: Page, code: string): Promise<Page | { redirectedTo: string }> {
  return browser.submit(page, { containing: 'input[name="code"]', fields: { code } });
}

export async function approveConsent(browser: Browser, page: Page): Promise<string> {
  return expectRedirect(await browser.submit(page, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } }));
}

/** The whole sign-in of an enrolled user who has consented before: password, TOTP, back to the client. */
export async function signIn(browser: Browser, request: AuthorizationRequest, user: { email: string; password: string; totpSecret: string }, offsetSteps: number): Promise<string | Page> {
  const login = await openLogin(browser, request);
  const second = await submitPassword(browser, login, user.email, user.password);
  const after = await submitCode(browser, second, await totpCode(user.totpSecret, offsetSteps));
  return 'redirectedTo' in after ? after.redirectedTo : after;
}

export async function redeem(config: oidc.Configuration, callbackUrl: string, request: AuthorizationRequest): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  return oidc.authorizationCodeGrant(config, new URL(callbackUrl), { pkceCodeVerifier: request.verifier, expectedState: request.state });
}

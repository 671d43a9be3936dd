/**
 * Codes and refresh tokens minted before a run, and the autocannon requests that spend them:
 * every code is redeemed once, every refresh token is used once and replaced by the one its
 * answer carries (rotation), as a real client would.
 */
import type autocannon from 'autocannon';

import { basicAuthorization } from '../test/support/register-client.js';
import { authorizationUrl, CODE_VERIFIER, REDIRECT_URI, type Target } from './bench-servers.js';

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const MINTING_CONCURRENCY = 8;

/** `count` authorization codes for the code client, from one signed-in browser session. */
export async function mintCodes(target: Target, count: number, scope = 'openid', extra: Record<string, string> = {}, concurrency = MINTING_CONCURRENCY): Promise<string[]> {
  const browser = await target.signedInBrowser();
  const codes: string[] = [];
  const mintOne = async (): Promise<void> => {
    let answer = await browser.open(authorizationUrl(target.url, target.codeClient, scope, extra));
    // prompt=consent asks the person even for a first-party client: approve, as they would.
    if (!('redirectedTo' in answer) && answer.document.querySelector('button[value="approve"]')) {
      answer = await browser.submit(answer, { containing: 'button[value="approve"]', button: { name: 'decision', value: 'approve' } });
    }
    if (!('redirectedTo' in answer)) throw new Error(`/auth did not answer with a code: ${answer.url} (${answer.status})`);
    const code = new URL(answer.redirectedTo).searchParams.get('code');
    if (!code) throw new Error(`no code in ${answer.redirectedTo}`);
    codes.push(code);
  };
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started += 1;
      await mintOne();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return codes;
}

/** The token request body that redeems one code (the fixed PKCE verifier of bench-servers.ts). */
export function codeRedemptionBody(code: string): string {
  return new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: CODE_VERIFIER }).toString();
}

/** `count` refresh tokens, each from its own code redeemed with offline_access. */
export async function mintRefreshTokens(target: Target, count: number): Promise<string[]> {
  // One at a time: prompt=consent makes each an interaction, and the browser keeps one
  // interaction cookie at a time, as a browser tab would.
  const codes = await mintCodes(target, count, 'openid offline_access', { prompt: 'consent' }, 1);
  const tokens: string[] = [];
  for (const code of codes) {
    const response = await fetch(`${target.url}/token`, { method: 'POST', headers: { ...form, authorization: clientBasic(target) }, body: codeRedemptionBody(code) });
    const body = (await response.json()) as { refresh_token?: string };
    if (!body.refresh_token) throw new Error(`no refresh token from ${target.url}: ${JSON.stringify(body)}`);
    tokens.push(body.refresh_token);
  }
  return tokens;
}

export function clientBasic(target: Target): string {
  return basicAuthorization(target.codeClient.id, target.codeClient.secret);
}

/** Redeems the given codes, one request each; the run ends when they are spent. */
export function codeRedemption(target: Target, codes: string[]): autocannon.Options {
  const pending = [...codes];
  return {
    url: target.url,
    // autocannon builds a request per connection before sending; leave those a code each.
    amount: Math.max(1, codes.length - 64),
    requests: [{
      method: 'POST',
      path: '/token',
      headers: { ...form, authorization: clientBasic(target) },
      setupRequest: (request) => ({ ...request, body: codeRedemptionBody(pending.pop() ?? 'spent') }),
    }],
  };
}

/** Refresh with rotation: each answer's new refresh token goes back into the pool. */
export function refreshRotation(target: Target, pool: string[]): autocannon.Options {
  return {
    url: target.url,
    requests: [{
      method: 'POST',
      path: '/token',
      headers: { ...form, authorization: clientBasic(target) },
      setupRequest: (request) => ({ ...request, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: pool.shift() ?? 'spent' }).toString() }),
      onResponse: (status, body) => {
        if (status !== 200) return;
        const token = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
        if (token) pool.push(token);
      },
    }],
  };
}

import { isIP } from 'node:net';

import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';

import type { Account, StoredPasskey } from './account.js';
import type { AccountStore } from './account-store.js';
import type { OneTimeClaims } from './one-time-claims.js';
import type { ChallengeBinding, PasskeyChallenges } from './passkey-challenges.js';
import { countFailure, type CheckFailed, type Throttled } from './sign-in-checks.js';
import type { SignInAttempt, SignInThrottle } from './sign-in-throttle.js';

/** Where passkeys are bound: the issuer's host name and origin. */
export interface RelyingParty {
  readonly id: string;
  readonly origin: string;
  readonly name: string;
}

/**
 * The relying party for an issuer, or undefined when the issuer's host is an IP address: WebAuthn
 * scopes credentials to a domain name, so browsers refuse passkeys there.
 */
export function relyingPartyFor(issuer: string, name: string): RelyingParty | undefined {
  const url = new URL(issuer);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(host) === 0 ? { id: host, origin: url.origin, name } : undefined;
}

export const PASSKEY_NAME_MAX = 64;
// ES256, EdDSA and RS256: what authenticators in use offer, and what the library verifies.
const ALGORITHMS = [-7, -8, -257];
const CEREMONY_TIMEOUT_MS = 120_000;
const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);

// The browser's answer as the page posts it: the shape is checked here, the contents by the library.
const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/).max(8192);
const authenticationShape = z.object({
  id: base64url.min(1),
  rawId: base64url.min(1),
  type: z.literal('public-key'),
  response: z.object({ clientDataJSON: base64url, authenticatorData: base64url, signature: base64url, userHandle: base64url.optional() }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});
const registrationShape = z.object({
  id: base64url.min(1),
  rawId: base64url.min(1),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    transports: z.array(z.string().max(32)).max(16).optional(),
  }).loose(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

function parseResponse<T>(raw: string, shape: z.ZodType<T>): T | undefined {
  if (raw.length > 32_768) return undefined;
  try {
    const parsed = shape.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The name an owner gave, tidied; undefined when nothing usable is left. */
export function tidyPasskeyName(raw: string): string | undefined {
  const name = raw.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, PASSKEY_NAME_MAX);
  return name === '' ? undefined : name;
}

/** The library's verdict, or undefined when it refused the answer (by saying so or by throwing). */
async function verifying<T extends { readonly verified: boolean }>(verify: () => Promise<T>): Promise<T | undefined> {
  try {
    const result = await verify();
    return result.verified ? result : undefined;
  } catch {
    return undefined;
  }
}

/** What every answer must have been made for: this issuer's origin and host, and a challenge of ours. */
function expectations(relyingParty: RelyingParty, check: { readonly expectedChallenge: (challenge: string) => boolean }) {
  return { expectedChallenge: check.expectedChallenge, expectedOrigin: relyingParty.origin, expectedRPID: relyingParty.id };
}

export type PasskeySignInResult = { readonly ok: true; readonly method: 'passkey'; readonly synced: boolean; readonly name: string } | CheckFailed<'invalid' | 'replayed'> | Throttled;

export type PasskeyRegistration =
  | { readonly ok: true; readonly passkey: StoredPasskey }
  | { readonly ok: false; readonly reason: 'invalid' | 'limit' | 'duplicate' | 'changed' | 'unavailable' };

export interface PasskeyServiceDeps {
  readonly store: AccountStore;
  readonly throttle: SignInThrottle;
  readonly claims: OneTimeClaims;
  readonly challenges: PasskeyChallenges;
  /** Undefined where passkeys cannot work (an issuer on an IP address): nothing is offered. */
  readonly relyingParty: RelyingParty | undefined;
  /** Passkeys one account may have. */
  readonly limit: number;
}

/**
 * Passkeys (WebAuthn credentials) as a second factor beside TOTP. The password always comes
 * first, so the account is known and only its own credentials are asked for. Every challenge is
 * bound to its ceremony, account and page and is used once; every change to the list is a
 * compare-and-set on the list read.
 */
export function createPasskeyService(deps: PasskeyServiceDeps) {
  const { store, throttle, claims, challenges, relyingParty, limit } = deps;

  /** Checks the challenge the browser signed and claims it: undefined if it was bad or used. */
  function challengeCheck(binding: ChallengeBinding) {
    let opened: { nonce: string; expiresAt: number } | undefined;
    return {
      expectedChallenge: (challenge: string): boolean => {
        opened = challenges.open(challenge, binding);
        return opened !== undefined;
      },
      /** First use of the challenge wins; a replay of the same browser answer is refused. */
      async claim(): Promise<boolean> {
        if (!opened) return false;
        return claims.claim(`passkey-challenge:${opened.nonce}`, Math.max(1, Math.ceil((opened.expiresAt - Date.now()) / 1000)) + 60);
      },
    };
  }

  async function replaceFrom(account: Account, next: readonly StoredPasskey[]): Promise<boolean> {
    if (!account.totpSecretEncrypted) return false;
    return store.replacePasskeys(account.id, { totpSecretEncrypted: account.totpSecretEncrypted, passkeys: account.passkeys }, next);
  }

  return {
    /** Whether passkeys can work on this issuer at all. */
    available: relyingParty !== undefined,
    limit,

    /** What the second-factor page hands the browser; undefined when the account has no passkey. */
    async signInOptions(account: Account, context: string): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
      if (!relyingParty || account.passkeys.length === 0) return undefined;
      return generateAuthenticationOptions({
        rpID: relyingParty.id,
        allowCredentials: account.passkeys.map((passkey) => ({ id: passkey.id, transports: [...passkey.transports] as AuthenticatorTransportName[] })),
        userVerification: 'preferred',
        timeout: CEREMONY_TIMEOUT_MS,
        challenge: challenges.issue({ ceremony: 'sign-in', accountId: account.id, context }),
      });
    },

    /**
     * The second factor by passkey, counted by the same throttle as a code. The assertion must
     * be for one of this account's passkeys, over a challenge issued for this sign-in and not
     * used before, with a signature counter that moved on (when the authenticator keeps one).
     */
    async signIn(account: Account, attempt: SignInAttempt, context: string, rawResponse: string): Promise<PasskeySignInResult> {
      const refusal = await throttle.begin(attempt);
      if (refusal) return { ok: false, reason: 'throttled', refusal };
      const response = parseResponse(rawResponse, authenticationShape);
      const index = response ? account.passkeys.findIndex((passkey) => passkey.id === response.id) : -1;
      const passkey = account.passkeys[index];
      if (!relyingParty || !response || !passkey) return countFailure(throttle, attempt, 'invalid', account.id);
      const check = challengeCheck({ ceremony: 'sign-in', accountId: account.id, context });
      const verified = await verifying(() => verifyAuthenticationResponse({
        response,
        ...expectations(relyingParty, check),
        credential: { id: passkey.id, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: passkey.counter, transports: [...passkey.transports] },
        // The password was the first factor; the passkey stands for possession, as a TOTP code does.
        requireUserVerification: false,
      }));
      if (!verified) return countFailure(throttle, attempt, 'invalid', account.id);
      if (!(await check.claim())) return countFailure(throttle, attempt, 'replayed', account.id);
      const used = await store.usePasskey(account.id, index, { credentialId: passkey.id, expected: passkey.counter, counter: verified.authenticationInfo.newCounter, at: new Date() });
      if (!used) return countFailure(throttle, attempt, 'replayed', account.id);
      await throttle.passed(attempt);
      return { ok: true, method: 'passkey', synced: passkey.synced, name: passkey.name };
    },

    /** What a page that adds a passkey hands the browser; undefined where passkeys cannot work or the account is full. */
    async registrationOptions(account: Account, context: string): Promise<PublicKeyCredentialCreationOptionsJSON | undefined> {
      if (!relyingParty || !account.totpSecretEncrypted || account.passkeys.length >= limit) return undefined;
      return generateRegistrationOptions({
        rpName: relyingParty.name,
        rpID: relyingParty.id,
        userName: account.email,
        userDisplayName: account.name ?? account.email,
        // The account id is random and opaque (the OpenID sub), so the authenticator learns nothing from it.
        userID: new TextEncoder().encode(account.id),
        challenge: challenges.issue({ ceremony: 'register', accountId: account.id, context }),
        timeout: CEREMONY_TIMEOUT_MS,
        attestationType: 'none',
        excludeCredentials: account.passkeys.map((passkey) => ({ id: passkey.id, transports: [...passkey.transports] })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
        supportedAlgorithmIDs: ALGORITHMS,
      });
    },

    /** Stores the passkey the browser just made, over a challenge issued for this account and page. */
    async register(account: Account, context: string, rawResponse: string, rawName: string): Promise<PasskeyRegistration> {
      if (!relyingParty || !account.totpSecretEncrypted) return { ok: false, reason: 'unavailable' };
      const response = parseResponse(rawResponse, registrationShape);
      if (!response) return { ok: false, reason: 'invalid' };
      const check = challengeCheck({ ceremony: 'register', accountId: account.id, context });
      const verified = await verifying(() => verifyRegistrationResponse({ response, ...expectations(relyingParty, check), requireUserVerification: false, supportedAlgorithmIDs: ALGORITHMS }));
      const info = verified?.registrationInfo;
      if (!info) return { ok: false, reason: 'invalid' };
      if (!(await check.claim())) return { ok: false, reason: 'invalid' };
      const { credential, credentialDeviceType } = info;
      if (account.passkeys.some((passkey) => passkey.id === credential.id)) return { ok: false, reason: 'duplicate' };
      if (account.passkeys.length >= limit) return { ok: false, reason: 'limit' };
      const passkey: StoredPasskey = {
        id: credential.id,
        publicKey: Buffer.from(credential.publicKey).toString('base64url'),
        counter: credential.counter,
        transports: (response.response.transports ?? []).filter((transport) => TRANSPORTS.has(transport)),
        name: tidyPasskeyName(rawName) ?? `Passkey ${account.passkeys.length + 1}`,
        synced: credentialDeviceType === 'multiDevice',
        createdAt: new Date(),
        lastUsedAt: null,
      };
      return (await replaceFrom(account, [...account.passkeys, passkey])) ? { ok: true, passkey } : { ok: false, reason: 'changed' };
    },

    /** 'missing' when the account has no such passkey; 'changed' when the list changed since it was read. */
    async rename(account: Account, credentialId: string, rawName: string): Promise<'ok' | 'missing' | 'changed' | 'invalid'> {
      const name = tidyPasskeyName(rawName);
      if (!name) return 'invalid';
      if (!account.passkeys.some((passkey) => passkey.id === credentialId)) return 'missing';
      const next = account.passkeys.map((passkey) => (passkey.id === credentialId ? { ...passkey, name } : passkey));
      return (await replaceFrom(account, next)) ? 'ok' : 'changed';
    },

    async remove(account: Account, credentialId: string): Promise<{ ok: true; passkey: StoredPasskey } | { ok: false; reason: 'missing' | 'changed' }> {
      const passkey = account.passkeys.find((candidate) => candidate.id === credentialId);
      if (!passkey) return { ok: false, reason: 'missing' };
      return (await replaceFrom(account, account.passkeys.filter((candidate) => candidate.id !== credentialId))) ? { ok: true, passkey } : { ok: false, reason: 'changed' };
    },
  };
}

type AuthenticatorTransportName = 'ble' | 'cable' | 'hybrid' | 'internal' | 'nfc' | 'smart-card' | 'usb';

export type PasskeyService = ReturnType<typeof createPasskeyService>;

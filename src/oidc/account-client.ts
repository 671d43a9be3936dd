import type { ClientMetadata } from 'oidc-provider';

import { message, type Message } from '../i18n/message.js';

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

/**
 * What the pages call an application: its registered name, and for the account area (a client
 * of our own) words from the catalogue, so that it reads "to continue to Your account" in every
 * language.
 */
export function clientDisplayName(client: { readonly clientId: string; readonly clientName?: string | undefined } | undefined): string | Message | undefined {
  if (!client) return undefined;
  return client.clientId === ACCOUNT_CLIENT_ID ? message('account.title') : client.clientName;
}

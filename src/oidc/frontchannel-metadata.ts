import { errors } from 'oidc-provider';

import { isLoopbackHost } from '../clients/redirect-uri.js';

/** OpenID Connect Front-Channel Logout 1.0: the client metadata a relying party registers. */
export const FRONTCHANNEL_LOGOUT_URI = 'frontchannel_logout_uri';
export const FRONTCHANNEL_SESSION_REQUIRED = 'frontchannel_logout_session_required';
export const FRONTCHANNEL_PROPERTIES = [FRONTCHANNEL_LOGOUT_URI, FRONTCHANNEL_SESSION_REQUIRED] as const;

/**
 * The relying party sets these itself (they only say where it wants to hear of a logout), so
 * registration may carry them. Section 2: the URI is absolute, and on the scheme, host and port
 * of one of the client's redirect URIs (https, or http on loopback).
 */
export function checkFrontchannelMetadata(key: string, value: unknown, metadata: Record<string, unknown>): void {
  if (value === undefined) return;
  if (key === FRONTCHANNEL_SESSION_REQUIRED) {
    if (typeof value !== 'boolean') throw new errors.InvalidClientMetadata(`${key} must be a boolean`);
    return;
  }
  if (typeof value !== 'string') throw new errors.InvalidClientMetadata(`${key} must be a string`);
  let uri: URL;
  try {
    uri = new URL(value);
  } catch {
    throw new errors.InvalidClientMetadata(`${key} must be an absolute URI`);
  }
  if (uri.hash) throw new errors.InvalidClientMetadata(`${key} must not contain a fragment`);
  if (uri.protocol !== 'https:' && !(uri.protocol === 'http:' && isLoopbackHost(uri.hostname))) throw new errors.InvalidClientMetadata(`${key} must use https (http only on loopback)`);
  const redirectOrigins = (Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris : []).map((redirect) => {
    try {
      return new URL(String(redirect)).origin;
    } catch {
      return undefined;
    }
  });
  if (!redirectOrigins.includes(uri.origin)) throw new errors.InvalidClientMetadata(`${key} must be on the scheme, host and port of one of the redirect_uris`);
}


import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

import { CLIENT_PROFILE_PROPERTY } from './client-metadata.js';

type FapiFeature = NonNullable<NonNullable<Configuration['features']>['fapi']>;

/** Whether an administrator put this client under the FAPI 2.0 Security Profile. */
export function isFapi2Client(client: unknown): boolean {
  return typeof client === 'object' && client !== null && (client as Record<string, unknown>)[CLIENT_PROFILE_PROPERTY] === 'fapi2';
}

/**
 * The engine's FAPI 2.0 checks (redirect_uri in every request, client assertions audienced to
 * the issuer, request object claims) for the clients an administrator chose, and for no other:
 * the rest of the profile is in their metadata (client-service.ts).
 */
export function buildFapiFeature(): FapiFeature {
  return { enabled: true, profile: (_ctx, client) => (isFapi2Client(client) ? '2.0' : undefined) };
}

/**
 * The FAPI 2.0 Security Profile asks servers not to rotate refresh tokens: its clients' tokens
 * are sender-constrained, and rotation only strands a client that lost one answer. Everyone
 * else's are rotated, with reuse detection.
 */
export function rotateRefreshToken(ctx: KoaContextWithOIDC): boolean {
  return !isFapi2Client(ctx.oidc.client);
}

import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import validateDpop, { checkDpopReplay } from 'oidc-provider/lib/helpers/validate_dpop.js';

/**
 * The DPoP proof of a token request to a grant type Latchkey registers (token exchange), checked
 * exactly as oidc-provider checks its own grants' proofs: signature, htm/htu, iat, the server
 * nonce (DPOP_NONCES), and jti replay. The provider hands these checks to its built-in grants
 * only, so they are imported by module path; test/e2e/token-exchange.test.ts fails if an
 * upgrade moves them. Undefined when the request has no proof; a bad proof throws the
 * provider's own errors (invalid_dpop_proof, use_dpop_nonce).
 */
export async function checkDpopProof(provider: Provider, ctx: KoaContextWithOIDC): Promise<{ readonly thumbprint: string } | undefined> {
  const client = ctx.oidc.client;
  if (!client) throw new errors.InvalidClient('client authentication failed');
  const proof = await validateDpop(provider, ctx);
  if (proof) await checkDpopReplay(provider, ctx, proof, client.clientId);
  // What the provider's grants do for a client registered with dpop_bound_access_tokens.
  if (!proof && client.dpopBoundAccessTokens) throw new errors.InvalidGrant('DPoP proof JWT not provided');
  return proof;
}

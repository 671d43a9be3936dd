import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { checkDpopReplay, checkDpopRequired, validateDpop } from 'oidc-provider/lib/helpers/grants.js';

/**
 * The DPoP proof of a token request to a grant type Latchkey registers (token exchange), checked
 * by the same helpers oidc-provider binds for its own grants: signature, htm/htu, iat, the server
 * nonce (DPOP_NONCES), jti replay, and a proof required of a client registered with
 * dpop_bound_access_tokens. The provider hands these helpers to its built-in grants only, so they
 * are imported by module path; test/e2e/token-exchange.test.ts fails if an upgrade moves them.
 * Undefined when the request has no proof; a bad or missing proof throws the provider's own
 * errors (invalid_dpop_proof, use_dpop_nonce, invalid_grant).
 */
export async function checkDpopProof(provider: Provider, ctx: KoaContextWithOIDC): Promise<{ readonly thumbprint: string } | undefined> {
  const client = ctx.oidc.client;
  if (!client) throw new errors.InvalidClient('client authentication failed');
  const proof = await validateDpop(provider, ctx);
  if (proof) await checkDpopReplay(provider, ctx, proof, client.clientId);
  checkDpopRequired(provider, ctx, proof);
  return proof;
}

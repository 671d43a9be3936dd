// oidc-provider's own DPoP proof checks, which it hands to its built-in grants only; see dpop-proof.ts.
declare module 'oidc-provider/lib/helpers/validate_dpop.js' {
  import type Provider from 'oidc-provider';
  import type { KoaContextWithOIDC } from 'oidc-provider';

  export interface ValidatedDpopProof {
    readonly thumbprint: string;
    readonly jti: string;
    readonly iat: number;
  }

  export default function validateDpop(provider: Provider, ctx: KoaContextWithOIDC, accessToken?: string): Promise<ValidatedDpopProof | undefined>;
  export function checkDpopReplay(provider: Provider, ctx: KoaContextWithOIDC, proof: ValidatedDpopProof, clientId: string): Promise<void>;
}

// oidc-provider's grant helpers, which it binds for its built-in grants only; see dpop-proof.ts.
declare module 'oidc-provider/lib/helpers/grants.js' {
  import type Provider from 'oidc-provider';
  import type { KoaContextWithOIDC } from 'oidc-provider';

  export interface ValidatedDpopProof {
    readonly thumbprint: string;
    readonly jti: string;
    readonly iat: number;
  }

  export function validateDpop(provider: Provider, ctx: KoaContextWithOIDC, accessToken?: string): Promise<ValidatedDpopProof | undefined>;
  export function checkDpopReplay(provider: Provider, ctx: KoaContextWithOIDC, proof: ValidatedDpopProof, clientId: string): Promise<void>;
  export function checkDpopRequired(provider: Provider, ctx: KoaContextWithOIDC, proof: ValidatedDpopProof | undefined): void;
}

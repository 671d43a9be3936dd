import type { KoaContextWithOIDC } from 'oidc-provider';

interface SignInSource {
  readonly authTime?: number;
  readonly amr?: string[];
}

/**
 * Copies auth_time and amr of the sign-in behind a user's access token into the token, so that
 * userinfo and introspection can report how the user signed in.
 */
export async function buildSignInClaims(ctx: KoaContextWithOIDC): Promise<Record<string, unknown> | undefined> {
  const entities = ctx.oidc.entities as { AuthorizationCode?: SignInSource; RefreshToken?: SignInSource };
  const source = entities.AuthorizationCode ?? entities.RefreshToken;
  if (!source) return undefined;
  return {
    ...(source.authTime !== undefined ? { auth_time: source.authTime } : {}),
    ...(source.amr ? { amr: source.amr } : {}),
  };
}

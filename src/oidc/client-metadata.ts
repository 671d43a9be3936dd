import { errors, type KoaContextWithOIDC } from 'oidc-provider';

/** Client metadata beyond the standard set: `first_party` skips the consent page. */
export const EXTRA_CLIENT_PROPERTIES = ['first_party'] as const;

/** Only an admin marks a client first-party; dynamic registration cannot claim it. */
export function checkExtraClientMetadata(ctx: KoaContextWithOIDC | undefined, key: string, value: unknown): void {
  if (key !== 'first_party' || value === undefined) return;
  if (typeof value !== 'boolean') throw new errors.InvalidClientMetadata('first_party must be a boolean');
  const route = ctx?.oidc?.route ?? '';
  if (value && route.startsWith('registration')) {
    throw new errors.InvalidClientMetadata('first_party cannot be set through dynamic registration');
  }
}

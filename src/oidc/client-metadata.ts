import { errors, type KoaContextWithOIDC } from 'oidc-provider';

/** Which registered resource servers a client may request tokens for (RFC 8707). */
export const CLIENT_RESOURCES_PROPERTY = 'latchkey_resources';

/** Client metadata beyond the standard set: `first_party` skips the consent page. */
export const EXTRA_CLIENT_PROPERTIES = ['first_party', CLIENT_RESOURCES_PROPERTY] as const;

/** Only an admin marks a client first-party or grants it resources; dynamic registration cannot. */
export function checkExtraClientMetadata(ctx: KoaContextWithOIDC | undefined, key: string, value: unknown): void {
  if (value === undefined) return;
  const viaRegistration = (ctx?.oidc?.route ?? '').startsWith('registration');
  if (key === 'first_party') {
    if (typeof value !== 'boolean') throw new errors.InvalidClientMetadata('first_party must be a boolean');
    if (value && viaRegistration) throw new errors.InvalidClientMetadata('first_party cannot be set through dynamic registration');
  }
  if (key === CLIENT_RESOURCES_PROPERTY) {
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      throw new errors.InvalidClientMetadata(`${CLIENT_RESOURCES_PROPERTY} must be an array of resource identifiers`);
    }
    if (value.length > 0 && viaRegistration) {
      throw new errors.InvalidClientMetadata(`${CLIENT_RESOURCES_PROPERTY} cannot be set through dynamic registration`);
    }
  }
}

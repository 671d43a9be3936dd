import type { KoaContextWithOIDC } from 'oidc-provider';

import { PKCE_REQUIRED_PROPERTY } from '../../../src/oidc/client-metadata.js';
import { createPkceRequired } from '../../../src/oidc/pkce-policy.js';

type Required = ReturnType<typeof createPkceRequired>;

function ask(required: Required, client: Record<string, unknown>): boolean {
  return required({} as KoaContextWithOIDC, client as unknown as Parameters<Required>[1]);
}

describe('when PKCE is required', () => {
  const optional = createPkceRequired({ pkce: { confidentialClients: 'optional' } });
  const strict = createPkceRequired({ pkce: { confidentialClients: 'required' } });

  it('always for public clients, whatever is set on them', () => {
    for (const policy of [optional, strict]) {
      expect(ask(policy, { tokenEndpointAuthMethod: 'none' })).toBe(true);
      expect(ask(policy, { tokenEndpointAuthMethod: 'none', [PKCE_REQUIRED_PROPERTY]: false })).toBe(true);
    }
  });

  it("for confidential clients, as an administrator set it, else as the operator's default", () => {
    expect(ask(optional, { tokenEndpointAuthMethod: 'client_secret_basic' })).toBe(false);
    expect(ask(strict, { tokenEndpointAuthMethod: 'client_secret_basic' })).toBe(true);
    expect(ask(optional, { tokenEndpointAuthMethod: 'client_secret_basic', [PKCE_REQUIRED_PROPERTY]: true })).toBe(true);
    expect(ask(strict, { tokenEndpointAuthMethod: 'private_key_jwt', [PKCE_REQUIRED_PROPERTY]: false })).toBe(false);
  });
});

import type { AdapterPayload } from 'oidc-provider';

/**
 * A deep copy of a provider payload made the way Redis would hand it back: through JSON. Not
 * structuredClone: oidc-provider accepts only plain objects in client metadata (a client's
 * `jwks` keys must have `Object` as constructor), and structuredClone builds its copies in the
 * host realm, which is not the realm of code loaded in a vm context (jest's ESM runner).
 */
export function copyPayload(payload: AdapterPayload): AdapterPayload {
  return JSON.parse(JSON.stringify(payload)) as AdapterPayload;
}

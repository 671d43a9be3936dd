/**
 * A command-line tool that signs its user in through Latchkey with the device authorization
 * grant (RFC 8628): it shows a code and a URL, the user opens the URL on any browser (a phone
 * will do), signs in there with password and second factor, and the tool receives tokens. Its
 * client is public (a CLI cannot keep a secret):
 *
 *   npx latchkey clients create --name "Acme CLI" --public --grant-type device_code --grant-type refresh_token
 *   ISSUER=https://id.example.com CLIENT_ID=lk_... npx tsx examples/device-cli/device-cli.ts
 */
import * as oidc from 'openid-client';

export interface DeviceSignInOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope?: string;
  /** Tells the user where to go and what to type; called once, before waiting. */
  readonly onCode: (instructions: { url: string; code: string; urlWithCode?: string | undefined }) => void;
}

export async function deviceSignIn(options: DeviceSignInOptions): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> {
  const issuer = new URL(options.issuer);
  // Plain http only for a local issuer (development); openid-client refuses it otherwise.
  const insecure = issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined;
  const config = await oidc.discovery(issuer, options.clientId, { token_endpoint_auth_method: 'none' }, oidc.None(), insecure);
  const device = await oidc.initiateDeviceAuthorization(config, { scope: options.scope ?? 'openid email offline_access' });
  options.onCode({ url: device.verification_uri, code: device.user_code, urlWithCode: device.verification_uri_complete });
  // Polls at the interval the server asks for, slowing down when told to, until the user is
  // done, declines, or the code expires (then it throws with the server's error).
  return oidc.pollDeviceAuthorizationGrant(config, device);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const tokens = await deviceSignIn({
    issuer: process.env.ISSUER ?? 'http://localhost:3000',
    clientId: process.env.CLIENT_ID ?? '',
    onCode: ({ url, code, urlWithCode }) => process.stdout.write(`To sign in, open ${url} and enter the code ${code}${urlWithCode ? `\n(or open ${urlWithCode})` : ''}\n`),
  });
  process.stdout.write(`Signed in as ${String(tokens.claims()?.email ?? tokens.claims()?.sub)}.\n`);
}

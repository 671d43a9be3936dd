/**
 * The ceiling Latchkey is measured against: oidc-provider with its in-memory adapter, mounted
 * in a bare Koa app, a static client and one static resource server; nothing else.
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import compose from 'koa-compose';
import Provider from 'oidc-provider';

import { generateSigningKey, toProviderJwks } from '../src/keys/key-set.js';

const port = Number(process.env.PORT ?? 3300);
const issuer = `http://127.0.0.1:${port}`;
const keys = await Promise.all([generateSigningKey('RS256'), generateSigningKey('ES256')]);
const provider = new Provider(issuer, {
  jwks: toProviderJwks({ keys }),
  clients: [{ client_id: 'bench', client_secret: 'bench-secret', grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, _client, oneOf) => oneOf,
      getResourceServerInfo: () => ({ scope: 'read', audience: 'https://api.bench', accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
    },
  },
  ttl: { ClientCredentials: 600 },
});
const app = new Koa();
app.use(compose(provider.middleware));
createServer(app.callback()).listen(port, '127.0.0.1', () => process.stdout.write(`bare provider listening on ${issuer}\n`));

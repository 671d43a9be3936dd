/**
 * The ceilings Latchkey is measured against: oidc-provider mounted in a bare Koa app with a
 * static client, one static resource server, and either an unbounded in-memory adapter (BARE_STORE=memory)
 * or the minimal Redis adapter beside this file (BARE_STORE=redis, REDIS_URL). Interactions finish
 * at once for one fixed account (no password, no second factor, consent given), so codes and
 * refresh tokens can be minted for the redemption scenarios; nothing else.
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import Koa from 'koa';
import compose from 'koa-compose';
import Provider, { type Configuration } from 'oidc-provider';

import { generateSigningKey, toProviderJwks } from '../src/keys/key-set.js';
import { createBareMemoryAdapter } from './bare-memory-adapter.js';
import { createBareRedisAdapter } from './bare-redis-adapter.js';

const BARE_CLIENT = { id: 'bench', secret: 'bench-secret', redirectUri: 'http://127.0.0.1:9/callback' } as const;
const ACCOUNT_ID = 'bench-user';

const port = Number(process.env.PORT ?? 3300);
const issuer = `http://127.0.0.1:${port}`;
const store = process.env.BARE_STORE ?? 'memory';
const redis = store === 'redis' ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : undefined;
const keys = await Promise.all([generateSigningKey('RS256'), generateSigningKey('ES256')]);
const configuration: Configuration = {
  adapter: redis ? createBareRedisAdapter(redis) : createBareMemoryAdapter(),
  jwks: toProviderJwks({ keys }),
  clients: [{
    client_id: BARE_CLIENT.id,
    client_secret: BARE_CLIENT.secret,
    grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [BARE_CLIENT.redirectUri],
  }],
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
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
  rotateRefreshToken: true,
  ttl: { ClientCredentials: 600, AccessToken: 600, AuthorizationCode: 600, IdToken: 600, RefreshToken: 86400, Grant: 86400, Session: 86400, Interaction: 600 },
};
const provider = new Provider(issuer, configuration);

const app = new Koa();
app.use(async (ctx, next) => {
  const uid = /^\/interaction\/([^/]+)$/.exec(ctx.path)?.[1];
  if (!uid) {
    await next();
    return;
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: ACCOUNT_ID } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: ACCOUNT_ID, clientId: BARE_CLIENT.id });
  if (!grant) throw new Error('interaction names a grant that is gone');
  grant.addOIDCScope('openid offline_access');
  await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
});
app.use(compose(provider.middleware));
const handle = app.callback();
createServer((req, res) => void handle(req, res)).listen(port, '127.0.0.1', () => process.stdout.write(`bare provider (${store}) listening on ${issuer}\n`));
